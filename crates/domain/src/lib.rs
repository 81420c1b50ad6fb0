//! The pure core of gatehouse: validated values, the entities the rest of the
//! system passes around, and the role catalogue with its permission matrix.
//!
//! Nothing here performs I/O or reads a clock; time arrives as a parameter.

pub mod access;
pub mod authority;
pub mod cards;
pub mod email;
pub mod entities;
pub mod errors;
pub mod exports;
pub mod groups;
pub mod invites;
pub mod locks;
pub mod members;
pub mod org;
pub mod password;
pub mod roles;
pub mod search;
pub mod seed;
pub mod sign_in;
pub mod text_index;

pub use authority::{Authority, Grant, Managed, Scope};
pub use cards::*;
pub use email::Email;
pub use entities::*;
pub use errors::FieldErrors;
pub use exports::*;
pub use groups::*;
pub use invites::*;
pub use locks::*;
pub use members::{FlagsPatch, MemberPatch, NewMember};
pub use org::{OrgDomain, Subscription};
pub use password::Password;
pub use roles::{MemberType, Permission, Role};
pub use sign_in::{NewUserToken, ThrottlePolicy, TokenPurpose};
