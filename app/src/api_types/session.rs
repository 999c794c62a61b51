//! Logging in and who is logged in: `/api/v1/session`, and members' roles.

use serde::{Deserialize, Serialize};

/// A member's role in a shop, weakest first (so `role >= Role::Editor` reads as "may edit").
/// On the wire and in the database: `viewer`, `editor`, `owner`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads pages, drafts and history.
    Viewer,
    /// Edits, publishes, schedules and shares previews.
    Editor,
    /// An editor who also runs the shop's launches.
    Owner,
}

impl Role {
    /// The role a stored or typed name stands for.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Role::Viewer),
            "editor" => Some(Role::Editor),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    /// The role's name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Owner => "owner",
        }
    }

    /// Editors and owners change drafts; viewers only look.
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `POST /api/v1/session`: log in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// `GET /api/v1/session`, and the answer to a login: who is logged in and their shops.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionAnswer {
    pub user: SessionUser,
    pub shops: Vec<ShopMembership>,
}

/// The logged-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    /// The display name (the email when none was given).
    pub name: String,
    /// A platform operator, who sees every shop.
    pub operator: bool,
}

/// One shop the logged-in person belongs to, and their role there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopMembership {
    pub id: i64,
    pub handle: String,
    pub name: String,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_order_and_read_back_by_name() {
        assert!(Role::Owner.can_edit() && Role::Editor.can_edit() && !Role::Viewer.can_edit());
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Owner);
        for role in [Role::Viewer, Role::Editor, Role::Owner] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            assert_eq!(
                serde_json::to_value(role).unwrap(),
                serde_json::json!(role.as_str())
            );
            assert_eq!(
                serde_json::from_value::<Role>(serde_json::json!(role.as_str())).unwrap(),
                role
            );
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
