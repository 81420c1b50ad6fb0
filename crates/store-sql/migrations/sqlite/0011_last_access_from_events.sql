-- A member's last access follows from their granted unlocks: the database
-- writes it with each `lock.unlock` event, so a batch of decisions is one
-- INSERT and needs no transaction around it. The latest access wins, in
-- whatever order a batch's events arrive. Keep in step with
-- migrations/postgres/0011_last_access_from_events.sql.

CREATE TRIGGER events_last_access AFTER INSERT ON events
WHEN new.type = 'lock.unlock' AND new.success AND new.actor_type = 'User'
BEGIN
    UPDATE members SET last_accessed_at = new.created_at, last_accessed_lock_id = new.object_id
    WHERE organization_id = new.organization_id AND user_id = new.actor_id
      AND (last_accessed_at IS NULL OR last_accessed_at <= new.created_at);
END;
