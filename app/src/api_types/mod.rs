//! Values on the wire that the server and the browser must agree on: the JSON requests and
//! answers of the editor's API under `/api/v1` (the server's handlers answer with these types
//! and the admin reads them back), the API's error body, members' roles and the
//! collaboration close codes. Plain data only, so it compiles for both the `ssr` and the
//! `hydrate` build.
//!
//! Carts, orders and shop lifecycle have their own contract modules ([`crate::commerce`],
//! [`crate::lifecycle`]).
//!
//! A field written as `Option<…>` without `skip_serializing_if` is always on the wire, as
//! `null` when empty; request fields that may be left out say so.

mod collab;
mod error;
mod pages;
mod preview;
mod revisions;
mod session;

pub use collab::{CloseCode, Presence};
pub use error::{ErrorBody, ErrorDetail};
pub use pages::{
    DraftAnswer, NewPage, PageAnswer, PageChanges, PageList, PageSummary, PublishAnswer,
    ScheduleRequest, ShopRef,
};
pub use preview::{NewPreviewLink, PreviewLink, PreviewLinkCount, PreviewLinksRevoked};
pub use revisions::{
    ChangeSummary, RestoreAnswer, RestoreRequest, RevisionAnswer, RevisionAuthor, RevisionInfo,
    RevisionList, RevisionSummary, UnpublishAnswer,
};
pub use session::{LoginRequest, Role, SessionAnswer, SessionUser, ShopMembership};
