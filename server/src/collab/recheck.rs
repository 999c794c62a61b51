//! Permissions hold for the life of a connection, not only at its handshake: every
//! [`Limits::recheck_every`](super::Limits::recheck_every) the hub looks up the sessions and
//! memberships of all open connections (a few queries for all of them, whichever process
//! changed them — the CLI runs separately) and closes the connections that lost their right:
//! a session that was deleted or expired (4401), a member removed from the shop or demoted
//! from editing (4403; the client reconnects with what it may now do).

use super::Close;
use super::hub::{Hub, Link};
use crate::auth::Role;
use entity::{membership, session};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// Ids per `IN (…)` query, well under SQLite's variable limit.
const CHUNK: usize = 500;

/// Runs the re-checks until the hub shuts down or is dropped.
pub(crate) fn spawn(hub: &Arc<Hub>) {
    let weak = Arc::downgrade(hub);
    let every = hub.limits().recheck_every.max(Duration::from_millis(10));
    let stop = hub.tasks().clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                // Shut down, or the hub is gone (dropping it cancels its tasks).
                _ = stop.cancelled() => break,
            }
            let Some(hub) = weak.upgrade() else { break };
            if let Err(e) = hub.recheck().await {
                tracing::warn!(error = %e, "re-checking collaborators' permissions failed; will retry");
            }
        }
    });
}

impl Hub {
    /// Closes the connections whose session ended or whose role no longer allows them.
    pub(crate) async fn recheck(&self) -> Result<(), DbErr> {
        let links = self.member_links();
        if links.is_empty() {
            return Ok(());
        }
        let sessions: BTreeSet<String> = links
            .iter()
            .filter_map(|l| l.member.as_ref()?.session_id.clone())
            .collect();
        let users: BTreeSet<i64> = links
            .iter()
            .filter_map(|l| l.member.as_ref().map(|m| m.user_id))
            .collect();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        // Live session id → its user.
        let mut live: HashMap<String, Option<i64>> = HashMap::new();
        let sessions: Vec<String> = sessions.into_iter().collect();
        for chunk in sessions.chunks(CHUNK) {
            let rows: Vec<(String, Option<i64>)> = session::Entity::find()
                .select_only()
                .column(session::Column::Id)
                .column(session::Column::UserId)
                .filter(session::Column::Id.is_in(chunk.iter().cloned()))
                .filter(session::Column::ExpiresAt.gt(now))
                .into_tuple()
                .all(&self.db)
                .await?;
            live.extend(rows);
        }
        let mut roles: HashMap<(i64, i64), Role> = HashMap::new();
        let users: Vec<i64> = users.into_iter().collect();
        for chunk in users.chunks(CHUNK) {
            for m in membership::Entity::find()
                .filter(membership::Column::UserId.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?
            {
                if let Some(role) = Role::parse(&m.role) {
                    roles.insert((m.user_id, m.shop_id), role);
                }
            }
        }
        for link in links {
            if let Some(why) = verdict(&link, &live, &roles) {
                tracing::info!(
                    page_id = link.page_id,
                    connection = link.id,
                    code = why.code(),
                    "closing a collaborator whose permission changed"
                );
                link.outbox.close(why);
            }
        }
        Ok(())
    }
}

/// Why a connection must close, if it must.
fn verdict(
    link: &Link,
    live: &HashMap<String, Option<i64>>,
    roles: &HashMap<(i64, i64), Role>,
) -> Option<Close> {
    let member = link.member.as_ref()?;
    if let Some(session) = &member.session_id
        && live.get(session) != Some(&Some(member.user_id))
    {
        return Some(Close::SessionEnded);
    }
    match roles.get(&(member.user_id, link.shop_id)) {
        None => Some(Close::PermissionChanged),
        Some(role) if member.can_edit && !role.can_edit() => Some(Close::PermissionChanged),
        // A viewer made editor keeps a viewer's connection until it reconnects.
        Some(_) => None,
    }
}
