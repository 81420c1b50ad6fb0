-- What a member's roles make them, kept on the member's row: how many
-- groups they hold a role in directly (shares_count), and the highest rank
-- they hold directly and through a team (3 administrator, 2 manager,
-- 1 basic, 0 none). Member lists and search read these three columns
-- instead of aggregating every listed member's role assignments, which
-- cost a fifth of a search (docs/benchmarks.md).
--
-- `member_roles` is the definition: what the columns must hold, computed
-- afresh. The triggers copy it onto each member a statement touches, in
-- the same transaction, so the columns are never stale;
-- crates/store-sql/tests/member_roles.rs checks them against the view
-- after every kind of change. The change generation triggers (migration
-- 0010) leave these columns out: they only change when role assignments or
-- team memberships do, which move the generation themselves. Keep in step
-- with migrations/sqlite/0013_member_roles_on_the_member.sql.
--
-- Concurrent writers: a trigger first takes its organization's lock (held
-- to the end of the transaction) and only then reads the view, in a
-- statement of its own, which sees every change committed before the lock
-- was granted. Of two transactions changing the same member's roles, the
-- second to take the lock therefore writes last and has seen the first.

ALTER TABLE members
    ADD COLUMN shares_count INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN direct_rank INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN team_rank INTEGER NOT NULL DEFAULT 0;

CREATE VIEW role_ranks AS
SELECT organization_id, assignee_type, assignee_id, applies_to_type,
    CASE role_id WHEN 'organization_administrator' THEN 3 WHEN 'place_administrator' THEN 3
        WHEN 'group_basic' THEN 1 ELSE 2 END AS rank
FROM role_assignments;

CREATE VIEW member_roles AS
SELECT m.id AS member_id,
    (SELECT CAST(COUNT(CASE WHEN r.applies_to_type = 'Group' THEN 1 END) AS INTEGER) FROM role_ranks r
        WHERE r.organization_id = m.organization_id AND r.assignee_type = 'User'
            AND r.assignee_id = m.user_id) AS shares_count,
    (SELECT COALESCE(MAX(r.rank), 0) FROM role_ranks r
        WHERE r.organization_id = m.organization_id AND r.assignee_type = 'User'
            AND r.assignee_id = m.user_id) AS direct_rank,
    (SELECT COALESCE(MAX(r.rank), 0) FROM role_ranks r
        WHERE r.organization_id = m.organization_id AND r.assignee_type = 'Team'
            AND r.assignee_id IN (SELECT tm.team_id FROM team_memberships tm WHERE tm.user_id = m.user_id)) AS team_rank
FROM members m;

UPDATE members m SET (shares_count, direct_rank, team_rank) =
    (SELECT r.shares_count, r.direct_rank, r.team_rank FROM member_roles r WHERE r.member_id = m.id);

-- Takes these organizations' locks (advisory, keyed by a hash of the
-- organization: a collision only makes two organizations wait for each
-- other); the caller reads `member_roles` after this, in statements of
-- their own.
CREATE FUNCTION lock_member_roles(organizations BIGINT[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    organization BIGINT;
BEGIN
    FOR organization IN SELECT DISTINCT o FROM unnest(organizations) AS o ORDER BY o LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('member roles', organization));
    END LOOP;
END
$$;

-- Copies `member_roles` onto the members of these (organization, user)
-- pairs whose columns differ from it (writing only those: a row version
-- fewer for each member a change leaves as they were).
CREATE FUNCTION refresh_member_roles(organizations BIGINT[], users BIGINT[]) RETURNS void LANGUAGE sql AS $$
    UPDATE members m SET (shares_count, direct_rank, team_rank) = (r.shares_count, r.direct_rank, r.team_rank)
    FROM (SELECT DISTINCT o, u FROM unnest(organizations, users) AS p(o, u)) t, member_roles r
    WHERE m.organization_id = t.o AND m.user_id = t.u AND r.member_id = m.id
        AND (m.shares_count, m.direct_rank, m.team_rank) IS DISTINCT FROM (r.shares_count, r.direct_rank, r.team_rank);
$$;

-- A role held directly: its holder; held through a team: every member of
-- the team (read after the lock: who is in the team may just have changed).
-- `changed` is the statement's inserted, deleted, or (by two triggers) old
-- and new rows.
CREATE FUNCTION role_assignments_member_roles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    organizations BIGINT[];
    users BIGINT[];
BEGIN
    PERFORM lock_member_roles(ARRAY(SELECT organization_id FROM changed));
    SELECT array_agg(o), array_agg(u) INTO organizations, users FROM (
        SELECT organization_id AS o, assignee_id AS u FROM changed WHERE assignee_type = 'User'
        UNION ALL SELECT c.organization_id, tm.user_id FROM changed c
            JOIN team_memberships tm ON tm.team_id = c.assignee_id WHERE c.assignee_type = 'Team') p;
    PERFORM refresh_member_roles(organizations, users);
    RETURN NULL;
END
$$;

CREATE TRIGGER role_assignments_insert_member_roles AFTER INSERT ON role_assignments
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_assignments_member_roles();
CREATE TRIGGER role_assignments_delete_member_roles AFTER DELETE ON role_assignments
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_assignments_member_roles();
CREATE TRIGGER role_assignments_update_old_member_roles AFTER UPDATE ON role_assignments
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_assignments_member_roles();
CREATE TRIGGER role_assignments_update_new_member_roles AFTER UPDATE ON role_assignments
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION role_assignments_member_roles();

-- Joining or leaving a team (deleting a team deletes its memberships).
CREATE FUNCTION team_memberships_member_roles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM lock_member_roles(ARRAY(SELECT organization_id FROM changed));
    PERFORM refresh_member_roles(ARRAY(SELECT organization_id FROM changed), ARRAY(SELECT user_id FROM changed));
    RETURN NULL;
END
$$;

CREATE TRIGGER team_memberships_insert_member_roles AFTER INSERT ON team_memberships
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION team_memberships_member_roles();
CREATE TRIGGER team_memberships_delete_member_roles AFTER DELETE ON team_memberships
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION team_memberships_member_roles();
CREATE TRIGGER team_memberships_update_old_member_roles AFTER UPDATE ON team_memberships
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION team_memberships_member_roles();
CREATE TRIGGER team_memberships_update_new_member_roles AFTER UPDATE ON team_memberships
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION team_memberships_member_roles();

-- A member who already holds roles (their user was given them first),
-- unless the row was inserted with what they make (the seed does).
CREATE FUNCTION members_member_roles() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    organizations BIGINT[];
    users BIGINT[];
BEGIN
    SELECT array_agg(c.organization_id), array_agg(c.user_id) INTO organizations, users FROM changed c
    WHERE EXISTS (SELECT 1 FROM role_assignments ra WHERE ra.assignee_type = 'User'
            AND ra.assignee_id = c.user_id AND ra.organization_id = c.organization_id)
        OR EXISTS (SELECT 1 FROM team_memberships tm WHERE tm.user_id = c.user_id
            AND tm.organization_id = c.organization_id);
    IF organizations IS NOT NULL THEN
        PERFORM lock_member_roles(organizations);
        PERFORM refresh_member_roles(organizations, users);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER members_insert_member_roles AFTER INSERT ON members
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION members_member_roles();
