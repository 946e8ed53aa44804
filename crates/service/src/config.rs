use serde::Deserialize;
use tikal_core::sla::SlaPolicy;
use tikal_core::{NumberFormat, PriorityMatrix, ResolutionPolicy};

/// The desk's rules, from the `[desk]` section of the configuration.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    pub number_format: NumberFormat,
    pub priority_matrix: PriorityMatrix,
    pub resolution: ResolutionPolicy,
    pub sla: SlaPolicy,
    /// Largest accepted attachment, in bytes.
    pub max_attachment_bytes: u64,
    /// Most attachments on one message.
    pub max_attachments: usize,
    /// Department for tickets that name none and whose help topic has none.
    pub default_department: Option<String>,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            number_format: NumberFormat::default(),
            priority_matrix: PriorityMatrix::default(),
            resolution: ResolutionPolicy::default(),
            sla: SlaPolicy::default(),
            max_attachment_bytes: 25 * 1024 * 1024,
            max_attachments: 10,
            default_department: None,
        }
    }
}

/// The TOML shape of `[desk]`; validated into `DeskConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DeskSettings {
    pub ticket_number_format: Option<String>,
    pub priority_matrix: Option<PriorityMatrix>,
    pub resolution: Option<ResolutionPolicy>,
    pub max_attachment_mb: Option<u64>,
    pub default_department: Option<String>,
}

impl DeskSettings {
    pub fn into_config(self) -> Result<DeskConfig, tikal_core::DomainError> {
        let d = DeskConfig::default();
        Ok(DeskConfig {
            number_format: self.ticket_number_format.as_deref().map(NumberFormat::parse).transpose()?.unwrap_or(d.number_format),
            priority_matrix: self.priority_matrix.unwrap_or(d.priority_matrix),
            resolution: self.resolution.unwrap_or(d.resolution),
            max_attachment_bytes: self.max_attachment_mb.map_or(d.max_attachment_bytes, |mb| mb.saturating_mul(1024 * 1024)),
            default_department: self.default_department,
            ..d
        })
    }
}
