admin-nav-outbox = Outgoing mail
admin-nav-outbox-hint = Notices and links waiting to be sent, failed deliveries and retrying them
outbox-lead = Every notice and link Tikal sends by e-mail goes through this queue. A delivery that fails is retried on its own; after the maximum number of attempts it is set aside as failed, with the last error. Fix the cause (mail server, address) and retry it.
outbox-none = Nothing in the queue.
outbox-older = Older
outbox-kind = Kind
outbox-ticket = Ticket
outbox-created = Created
outbox-attempts = Attempts
outbox-run-at = Next attempt
outbox-last-error = Last error
outbox-actions = Actions
outbox-state-any = Pending and failed
outbox-state-pending = Pending
outbox-state-dead = Failed
outbox-state-done = Sent
outbox-retry = Retry
outbox-retry-dead = Retry all failed
outbox-dead-count = { $n ->
    [one] 1 failed delivery
   *[other] { $n } failed deliveries
}
outbox-dead-hint = { $n ->
    [one] 1 failed delivery: check it and retry
   *[other] { $n } failed deliveries: check them and retry
}
outbox-done-retried = Delivery { $job } is back in the queue: it will be tried shortly.
outbox-done-retried_all = { $n ->
    [0] There were no failed deliveries to retry.
    [one] 1 failed delivery is back in the queue.
   *[other] { $n } failed deliveries are back in the queue.
}
outbox-done-not_dead = Delivery { $job } is no longer failed (it is pending or was sent): nothing to retry.
outbox-kind-notify-ticket_created = New ticket (acknowledgement to the requester and alert to agents)
outbox-kind-notify-agent_reply = Agent reply to the requester
outbox-kind-notify-requester_message = Requester message
outbox-kind-notify-ticket_changed = Ticket change
outbox-kind-notify-resolution_approved = Solution approved and ticket closed
outbox-kind-notify-assigned = Assignment to an agent
outbox-kind-notify-transferred = Transfer to another department
outbox-kind-notify-resolved = Ticket resolved (confirmation to the requester)
outbox-kind-notify-closed = Ticket closed (survey to the requester)
outbox-kind-mail-ticket_link = Access link to a ticket
outbox-kind-mail-verify_email = E-mail address confirmation
outbox-kind-mail-password_reset = Password reset
outbox-kind-mail-account_exists = Account already exists notice
outbox-kind-mail-agent_invite = Agent invitation
audit-entity-outbox_job = Outgoing mail job
audit-action-retry = Retried
outbox-kind-notify-alert = SLA or time rule alert (to agents)
