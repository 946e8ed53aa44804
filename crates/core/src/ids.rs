//! Typed ids: an agent id can never be passed where a department id is expected.

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

id_type!(
    TicketId,
    AgentId,
    RequesterId,
    OrganisationId,
    DepartmentId,
    HelpTopicId,
    TeamId,
    RoleId,
    ApiKeyId,
    /// A job of the outbox.
    JobId,
    EntryId,
    AttachmentId,
    CustomFieldId,
    SlaPlanId,
    MailAccountId,
    InboundMailId,
    /// A knowledge-base article.
    ArticleId,
    KbCategoryId,
);
