//! The deterministic shape of a large benchmark organization: how many of
//! everything, and which member, group, door, card and secret is which.
//! `gatehouse seed` writes it; the load generator derives the same names and
//! secrets from the same plan, so it needs no list of them.
//!
//! Secrets here are predictable by design: a seeded database is for
//! benchmarks only, never for real doors.

/// How much to generate, and the number that varies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SeedPlan {
    pub seed: u64,
    pub places: u64,
    pub locks: u64,
    pub groups: u64,
    pub members: u64,
    pub role_assignments: u64,
    pub cards: u64,
    pub events: u64,
    /// Members (the first ones) with a device login the load generator uses.
    pub logins: u64,
    /// Members (the first ones) with the benchmark password.
    pub passwords: u64,
}

impl Default for SeedPlan {
    /// The size the performance goals are set for.
    fn default() -> Self {
        SeedPlan {
            seed: 1,
            places: 50,
            locks: 5_000,
            groups: 2_000,
            members: 100_000,
            role_assignments: 200_000,
            cards: 50_000,
            events: 1_000_000,
            logins: 20_000,
            passwords: 1_000,
        }
    }
}

/// What `gatehouse seed` made, for the load generator: the plan it
/// followed, where, and the door ids in the plan's order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeedManifest {
    pub plan: SeedPlan,
    pub domain: String,
    pub owner_email: String,
    pub lock_ids: Vec<i64>,
}

/// SplitMix64: a tiny, well-known generator; the same seed gives the same
/// sequence on every machine.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl SeedPlan {
    pub fn check(&self) -> Result<(), String> {
        if self.places == 0 || self.locks < self.groups || self.groups < self.places {
            return Err("need places >= 1, groups >= places and locks >= groups".into());
        }
        if !self.groups.is_multiple_of(self.places) {
            return Err("groups must be a multiple of places".into());
        }
        if self.members == 0 || self.role_assignments < self.members {
            return Err(
                "need members >= 1 and role assignments >= members (each member gets a group)"
                    .into(),
            );
        }
        if self.role_assignments.div_ceil(self.members) > self.groups {
            return Err("more role assignments per member than groups".into());
        }
        if self.cards > self.members || self.logins > self.members || self.passwords > self.members
        {
            return Err("cards, logins and passwords go to members: at most one each".into());
        }
        Ok(())
    }

    pub fn member_email(&self, member: u64) -> String {
        format!("member{member:06}@bench.example")
    }

    pub fn member_name(&self, member: u64) -> String {
        const FIRST: [&str; 8] = [
            "Ada", "Ben", "Chloé", "Dmitri", "Emeka", "Fatima", "Grace", "Hiro",
        ];
        const LAST: [&str; 8] = [
            "Okafor", "Müller", "Tanaka", "Smith", "García", "Ivanova", "Chen", "Dubois",
        ];
        let r = mix(self.seed ^ member);
        format!(
            "{} {} {member}",
            FIRST[(r % 8) as usize],
            LAST[((r >> 8) % 8) as usize]
        )
    }

    /// The place a lock (by index) stands in.
    pub fn place_of_lock(&self, lock: u64) -> u64 {
        lock % self.places
    }

    pub fn place_of_group(&self, group: u64) -> u64 {
        group % self.places
    }

    /// The group a lock belongs to; a group `g` always holds lock `g`.
    pub fn group_of_lock(&self, lock: u64) -> u64 {
        let per_place = self.groups / self.places;
        (lock / self.places % per_place) * self.places + lock % self.places
    }

    /// The `round`-th group of a member (distinct for every round).
    pub fn group_of_member(&self, member: u64, round: u64) -> u64 {
        let rounds = self.role_assignments.div_ceil(self.members).max(1);
        let stride = (self.groups / rounds).max(1);
        (member.wrapping_mul(31) + round * stride) % self.groups
    }

    /// A door the member may open: lock `g` of their first group `g`.
    pub fn door_of_member(&self, member: u64) -> u64 {
        self.group_of_member(member, 0)
    }

    /// The member holding role assignment `k`, and its round.
    pub fn assignment(&self, k: u64) -> (u64, u64) {
        (k % self.members, k / self.members)
    }

    /// How many role assignments (each a basic role in a group) the member
    /// holds: one for each round `assignment` gives them.
    pub fn assignments_of_member(&self, member: u64) -> u64 {
        self.role_assignments / self.members
            + u64::from(member < self.role_assignments % self.members)
    }

    pub fn login_secret(&self, member: u64) -> String {
        format!(
            "bench-login-{}-{member}-{:016x}",
            self.seed,
            mix(self.seed.wrapping_add(member))
        )
    }

    /// The reader at lock `lock` (there is one at each of the first `groups` locks).
    pub fn reader_secret(&self, lock: u64) -> String {
        format!(
            "bench-reader-{}-{lock}-{:016x}",
            self.seed,
            mix(!self.seed ^ lock)
        )
    }

    pub fn card_token(&self, card: u64) -> String {
        format!("{:016x}", mix(self.seed.rotate_left(17) ^ card))
    }

    /// Past event `e` (of `events`, oldest first, spread over 30 days): an
    /// unlock by a member at their door, one in twenty denied.
    pub fn past_event(&self, e: u64) -> PastEvent {
        let draw = mix(self.seed ^ e.rotate_left(29));
        let member = draw % self.members;
        PastEvent {
            draw,
            member,
            lock: self.door_of_member(member),
            denied: draw.is_multiple_of(20),
            seconds_ago: (self.events - e) as i64 * 2_592_000 / self.events.max(1) as i64,
        }
    }

    /// Each member's last granted past event (their last access), if any.
    pub fn last_grants(&self) -> Vec<Option<u64>> {
        let mut last = vec![None; self.members as usize];
        for e in 0..self.events {
            let event = self.past_event(e);
            if !event.denied {
                last[event.member as usize] = Some(e);
            }
        }
        last
    }
}

/// One of the seed's past events; see `SeedPlan::past_event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastEvent {
    /// The random draw it was made from (its uuid is made from it too).
    pub draw: u64,
    pub member: u64,
    pub lock: u64,
    pub denied: bool,
    pub seconds_ago: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_member_holds_the_assignments_that_name_them() {
        let plan = SeedPlan {
            members: 30,
            role_assignments: 75,
            ..SeedPlan::default()
        };
        let mut held = vec![0; 30];
        for k in 0..plan.role_assignments {
            held[plan.assignment(k).0 as usize] += 1;
        }
        for (member, &count) in held.iter().enumerate() {
            assert_eq!(
                plan.assignments_of_member(member as u64),
                count,
                "member {member}"
            );
        }
        assert_eq!((held[14], held[15]), (3, 2));
    }

    #[test]
    fn the_default_plan_holds_together() {
        let plan = SeedPlan::default();
        plan.check().unwrap();
        for lock in 0..plan.locks {
            let group = plan.group_of_lock(lock);
            assert!(group < plan.groups);
            assert_eq!(
                plan.place_of_group(group),
                plan.place_of_lock(lock),
                "lock {lock}"
            );
        }
        for group in 0..plan.groups {
            assert_eq!(
                plan.group_of_lock(group),
                group,
                "group {group} holds lock {group}"
            );
        }
        for member in (0..plan.members).step_by(97) {
            let first = plan.group_of_member(member, 0);
            let second = plan.group_of_member(member, 1);
            assert_ne!(first, second);
            assert_eq!(plan.group_of_lock(plan.door_of_member(member)), first);
        }
    }

    #[test]
    fn last_grants_are_each_members_latest_granted_event() {
        let plan = SeedPlan {
            members: 50,
            events: 2_000,
            ..SeedPlan::default()
        };
        let last = plan.last_grants();
        for member in 0..plan.members {
            let latest = (0..plan.events).rev().find(|&e| {
                let event = plan.past_event(e);
                event.member == member && !event.denied
            });
            assert_eq!(last[member as usize], latest, "member {member}");
        }
        assert!(
            last.iter().all(Option::is_some),
            "2,000 events reach all 50"
        );
        let (first, latest) = (plan.past_event(0), plan.past_event(plan.events - 1));
        assert!(first.seconds_ago > latest.seconds_ago, "oldest first");
    }

    #[test]
    fn names_and_secrets_are_deterministic_and_distinct() {
        let plan = SeedPlan::default();
        assert_eq!(plan.login_secret(7), SeedPlan::default().login_secret(7));
        assert_ne!(plan.login_secret(7), plan.login_secret(8));
        assert_ne!(plan.card_token(1), plan.card_token(2));
        assert_eq!(plan.member_email(42), "member000042@bench.example");
        let other = SeedPlan { seed: 2, ..plan };
        assert_ne!(plan.login_secret(7), other.login_secret(7));
        assert!(SeedPlan { groups: 70, ..plan }.check().is_err());
    }
}
