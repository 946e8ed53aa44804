admin-nav-outbox = Correo saliente
admin-nav-outbox-hint = Avisos y enlaces por enviar, los envíos fallidos y su reintento
outbox-lead = Cada aviso y enlace que Tikal envía por correo pasa por esta cola. Un envío que falla se reintenta solo; tras el máximo de intentos queda como fallido con el último error. Corrija la causa (servidor de correo, dirección) y reintente.
outbox-none = No hay envíos en la cola.
outbox-older = Más antiguos
outbox-kind = Tipo
outbox-ticket = Ticket
outbox-created = Creado
outbox-attempts = Intentos
outbox-run-at = Próximo intento
outbox-last-error = Último error
outbox-actions = Acciones
outbox-state-any = Pendientes y fallidos
outbox-state-pending = Pendiente
outbox-state-dead = Fallido
outbox-state-done = Enviado
outbox-retry = Reintentar
outbox-retry-dead = Reintentar todos los fallidos
outbox-dead-count = { $n ->
    [one] 1 envío fallido
   *[other] { $n } envíos fallidos
}
outbox-dead-hint = { $n ->
    [one] 1 envío fallido: revíselo y reintente
   *[other] { $n } envíos fallidos: revíselos y reintente
}
outbox-done-retried = El envío { $job } volvió a la cola: se intentará enseguida.
outbox-done-retried_all = { $n ->
    [0] No había envíos fallidos que reintentar.
    [one] 1 envío fallido volvió a la cola.
   *[other] { $n } envíos fallidos volvieron a la cola.
}
outbox-done-not_dead = El envío { $job } ya no está fallido (está pendiente o se envió): no hay nada que reintentar.
outbox-kind-notify-ticket_created = Ticket nuevo (acuse al solicitante y aviso a los agentes)
outbox-kind-notify-agent_reply = Respuesta de agente al solicitante
outbox-kind-notify-requester_message = Mensaje del solicitante
outbox-kind-notify-ticket_changed = Cambio en un ticket
outbox-kind-notify-resolution_approved = Solución aprobada y ticket cerrado
outbox-kind-notify-assigned = Asignación a un agente
outbox-kind-notify-transferred = Traslado a otro departamento
outbox-kind-notify-resolved = Ticket resuelto (confirmación al solicitante)
outbox-kind-notify-closed = Ticket cerrado (encuesta al solicitante)
outbox-kind-mail-ticket_link = Enlace de acceso a un ticket
outbox-kind-mail-verify_email = Confirmación de dirección de correo
outbox-kind-mail-password_reset = Restablecimiento de contraseña
outbox-kind-mail-account_exists = Aviso de cuenta ya existente
outbox-kind-mail-agent_invite = Invitación a un agente
audit-entity-outbox_job = Envío de correo
audit-action-retry = Reintentado
outbox-kind-notify-alert = Aviso de SLA o de regla de tiempo (a agentes)
