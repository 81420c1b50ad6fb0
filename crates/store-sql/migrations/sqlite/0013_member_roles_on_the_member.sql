-- What a member's roles make them, kept on the member's row: how many
-- groups they hold a role in directly (shares_count), and the highest rank
-- they hold directly and through a team (3 administrator, 2 manager,
-- 1 basic, 0 none). Member lists and search read these three columns
-- instead of aggregating every listed member's role assignments, which
-- cost a fifth of a search (docs/benchmarks.md).
--
-- `member_roles` is the definition: what the columns must hold, computed
-- afresh. The triggers copy it onto each member a change touches, in the
-- same transaction as the change, so the columns are never stale;
-- crates/store-sql/tests/member_roles.rs checks them against the view
-- after every kind of change. The change generation triggers (migration
-- 0010) leave these columns out: they only change when role assignments or
-- team memberships do, which move the generation themselves. Keep in step
-- with migrations/postgres/0013_member_roles_on_the_member.sql.

ALTER TABLE members ADD COLUMN shares_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN direct_rank INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN team_rank INTEGER NOT NULL DEFAULT 0;

CREATE VIEW role_ranks AS
SELECT organization_id, assignee_type, assignee_id, applies_to_type,
    CASE role_id WHEN 'organization_administrator' THEN 3 WHEN 'place_administrator' THEN 3
        WHEN 'group_basic' THEN 1 ELSE 2 END AS rank
FROM role_assignments;

CREATE VIEW member_roles AS
SELECT m.id AS member_id,
    (SELECT COUNT(CASE WHEN r.applies_to_type = 'Group' THEN 1 END) FROM role_ranks r
        WHERE r.organization_id = m.organization_id AND r.assignee_type = 'User'
            AND r.assignee_id = m.user_id) AS shares_count,
    (SELECT COALESCE(MAX(r.rank), 0) FROM role_ranks r
        WHERE r.organization_id = m.organization_id AND r.assignee_type = 'User'
            AND r.assignee_id = m.user_id) AS direct_rank,
    (SELECT COALESCE(MAX(r.rank), 0) FROM role_ranks r
        WHERE r.organization_id = m.organization_id AND r.assignee_type = 'Team'
            AND r.assignee_id IN (SELECT tm.team_id FROM team_memberships tm WHERE tm.user_id = m.user_id)) AS team_rank
FROM members m;

UPDATE members SET (shares_count, direct_rank, team_rank) =
    (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id);

-- A role held directly: the holder's member row.
CREATE TRIGGER role_assignments_insert_member_roles AFTER INSERT ON role_assignments
WHEN NEW.assignee_type = 'User' BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = NEW.organization_id AND user_id = NEW.assignee_id;
END;
CREATE TRIGGER role_assignments_delete_member_roles AFTER DELETE ON role_assignments
WHEN OLD.assignee_type = 'User' BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = OLD.organization_id AND user_id = OLD.assignee_id;
END;

-- A role held through a team: every member of the team.
CREATE TRIGGER role_assignments_insert_team_member_roles AFTER INSERT ON role_assignments
WHEN NEW.assignee_type = 'Team' BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = NEW.organization_id
        AND user_id IN (SELECT user_id FROM team_memberships WHERE team_id = NEW.assignee_id);
END;
CREATE TRIGGER role_assignments_delete_team_member_roles AFTER DELETE ON role_assignments
WHEN OLD.assignee_type = 'Team' BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = OLD.organization_id
        AND user_id IN (SELECT user_id FROM team_memberships WHERE team_id = OLD.assignee_id);
END;

-- A changed role: whoever held it before and whoever holds it now.
CREATE TRIGGER role_assignments_update_member_roles AFTER UPDATE ON role_assignments BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE OLD.assignee_type = 'User' AND organization_id = OLD.organization_id AND user_id = OLD.assignee_id;
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE NEW.assignee_type = 'User' AND organization_id = NEW.organization_id AND user_id = NEW.assignee_id;
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE OLD.assignee_type = 'Team' AND organization_id = OLD.organization_id
        AND user_id IN (SELECT user_id FROM team_memberships WHERE team_id = OLD.assignee_id);
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE NEW.assignee_type = 'Team' AND organization_id = NEW.organization_id
        AND user_id IN (SELECT user_id FROM team_memberships WHERE team_id = NEW.assignee_id);
END;

-- Joining or leaving a team (deleting a team deletes its memberships).
CREATE TRIGGER team_memberships_insert_member_roles AFTER INSERT ON team_memberships BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = NEW.organization_id AND user_id = NEW.user_id;
END;
CREATE TRIGGER team_memberships_delete_member_roles AFTER DELETE ON team_memberships BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = OLD.organization_id AND user_id = OLD.user_id;
END;
CREATE TRIGGER team_memberships_update_member_roles AFTER UPDATE ON team_memberships BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = OLD.organization_id AND user_id = OLD.user_id;
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE organization_id = NEW.organization_id AND user_id = NEW.user_id;
END;

-- A member who already holds roles (their user was given them first),
-- unless the row was inserted with what they make (the seed does).
CREATE TRIGGER members_insert_member_roles AFTER INSERT ON members
WHEN EXISTS (SELECT 1 FROM role_assignments WHERE assignee_type = 'User' AND assignee_id = NEW.user_id
        AND organization_id = NEW.organization_id)
    OR EXISTS (SELECT 1 FROM team_memberships WHERE user_id = NEW.user_id
        AND organization_id = NEW.organization_id) BEGIN
    UPDATE members SET (shares_count, direct_rank, team_rank) =
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = members.id)
    WHERE id = NEW.id AND (shares_count, direct_rank, team_rank) IS NOT
        (SELECT shares_count, direct_rank, team_rank FROM member_roles WHERE member_id = NEW.id);
END;
