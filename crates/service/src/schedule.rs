//! The schedule for administrators: each recurring task with its next run, its last run and
//! the error it last failed with, and "run now" (audited) once the cause is fixed.

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::schedule::Task;
use tikal_store::TaskInfo;

use crate::admin::json;
use crate::{Desk, Principal, Result, ServiceError};

#[derive(Serialize)]
struct TaskDoc<'a> {
    next_run_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_error: Option<&'a str>,
}

impl Desk {
    /// Every recurring task and how it last ran (administrators only). A task no node has
    /// started yet is listed as due now.
    pub async fn schedule(&self, by: &Principal) -> Result<Vec<TaskInfo>> {
        Self::admin_actor(by)?;
        let now = tikal_store::now();
        self.store.ensure_tasks(Task::ALL, now).await?;
        Ok(self.store.scheduled_tasks().await?)
    }

    /// Makes `task` due now: the next tick of any node runs it.
    pub async fn run_task_now(&self, by: &Principal, task: Task) -> Result<TaskInfo> {
        Self::admin_actor(by)?;
        let now = tikal_store::now();
        let before = self.schedule(by).await?.into_iter().find(|t| t.task == task).ok_or(ServiceError::NotFound("task"))?;
        let doc =
            |at: chrono::DateTime<chrono::Utc>| json(&TaskDoc { next_run_at: at.to_rfc3339(), last_error: before.last_error.as_deref() });
        let audit =
            Self::audit_entry(by, AuditAction::Run, AdminEntity::ScheduledTask, task, task.as_str(), doc(before.next_run_at), doc(now))?;
        self.store.run_task_now(task, now, audit).await?;
        self.schedule(by).await?.into_iter().find(|t| t.task == task).ok_or(ServiceError::NotFound("task"))
    }
}
