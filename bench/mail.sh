#!/usr/bin/env bash
# Mail intake (issue #9): how many e-mails a second become tickets or replies, on SQLite and on
# PostgreSQL, each on a fresh database started once by `tikal serve` (its first start creates
# the default department). Three ways in:
#
#   pipe        each message piped to its own `tikal mail ingest` process, as an MTA's pipe
#               transport does: one after another, then two at a time (`xargs -P 2`). The
#               server keeps running meanwhile (as in production: the MTA pipes into a running
#               desk; SQLite takes the command and the server on one file). Every command must
#               print a ticket number; one that exits 75 (EX_TEMPFAIL, "try again later") is
#               counted as deferred and delivered again after the timed run, as the MTA would.
#   http        target/release/tikal-bench --scenario mail: POST /api/v1/mail/inbound with the
#               API key, at concurrency 8 (p50/p90/p99 from the driver).
#   imap        a private Dovecot (configured as crates/testkit/src/dovecot.rs does; needs root,
#               the `vmail` user and dovecot-imapd, which scripts/test installs): the messages
#               are appended to a mailbox's INBOX first, then an IMAP account is created over
#               the API and the time is taken from the first message the poller marks seen to
#               the last (the poller looks for due accounts every 10 s, so the wait before the
#               first poll is reported apart and not counted).
#
# The pipe and IMAP messages are written here: Spanish helpdesk mails from 40 requesters,
# bodies quoted-printable UTF-8 (subjects RFC 2047), every seventh new one with a small
# attachment, every third a reply ("Re: ...", In-Reply-To and References) from the same
# requester to an earlier new message of the same batch. After each pipe and IMAP batch the
# database is counted: every message stored as imported, tickets opened + replies added =
# messages.
#
# Environment:
#   TIKAL_BENCH_PG             PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
#   TIKAL_BENCH_DATABASES      which databases (default "sqlite postgres")
#   TIKAL_BENCH_NO_BUILD=1     use the binaries already in target/release (or $CARGO_TARGET_DIR/release)
#   TIKAL_BENCH_MAIL_MESSAGES  messages of each pipe and IMAP batch (default 500)
#   TIKAL_BENCH_MAIL_REQUESTS  measured requests of the HTTP run (default 2000)
#   TIKAL_BENCH_MAX_SECONDS    time limit of the HTTP run (default 120)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

PG_URL="${TIKAL_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
DATABASES="${TIKAL_BENCH_DATABASES:-sqlite postgres}"
MESSAGES=${TIKAL_BENCH_MAIL_MESSAGES:-500}
REQUESTS=${TIKAL_BENCH_MAIL_REQUESTS:-2000}
MAX_SECONDS=${TIKAL_BENCH_MAX_SECONDS:-120}
CONCURRENCY=8
IMAP_PASSWORD="bench imap password"

unset TIKAL_CONFIG TIKAL_DATA_DIR TIKAL_DATABASE_URL TIKAL_LISTEN TIKAL_SECRET_KEY
export TIKAL_LOG=warn

log() { echo "mail: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for tool in cargo curl python3 xargs; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
[[ $MESSAGES =~ ^[0-9]+$ && $MESSAGES -ge 3 ]] || die "TIKAL_BENCH_MAIL_MESSAGES must be a number of at least 3"
DOVECOT=$(command -v dovecot || echo /usr/sbin/dovecot)
DOVEADM=$(command -v doveadm || echo /usr/bin/doveadm)
[[ -x $DOVECOT && -x $DOVEADM ]] || die "dovecot is required for the IMAP run (scripts/test installs dovecot-imapd)"
[[ $EUID -eq 0 ]] || die "the IMAP run starts Dovecot, which must run as root"
id vmail >/dev/null 2>&1 || die "Dovecot delivers as the vmail user (scripts/test creates it)"

if [[ ${TIKAL_BENCH_NO_BUILD:-} != 1 ]]; then
  log "building release binaries"
  cargo build --release -p tikal -p tikal-bench
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
TIKAL="$TARGET_DIR/release/tikal"
DRIVER="$TARGET_DIR/release/tikal-bench"
[[ -x $TIKAL && -x $DRIVER ]] || die "binaries not found in $TARGET_DIR/release"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tikal-mail.XXXXXX")
# Dovecot's login and mail processes run as other users: they must reach into its directory.
MAILSERVER=$(mktemp -d "${TMPDIR:-/tmp}/tikal-mail-dovecot.XXXXXX")
chmod 755 "$MAILSERVER"
DOVECOT_CONF=""
SERVER_PID=""
PG_DB=""

alive() {
  local state
  state=$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $state && $state != Z ]]
}

stop_server() {
  local pid=$SERVER_PID
  SERVER_PID=""
  [[ -n $pid ]] || return 0
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      alive "$pid" || break
      sleep 0.1
    done
    alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

psql_admin() {
  psql -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt -c "$1"
}

drop_database() {
  [[ -n $PG_DB ]] || return 0
  psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null 2>&1 || log "could not drop database $PG_DB"
  PG_DB=""
}

cleanup() {
  local status=$?
  trap - EXIT
  stop_server
  drop_database
  if [[ -n $DOVECOT_CONF ]]; then
    "$DOVEADM" -c "$DOVECOT_CONF" stop >/dev/null 2>&1 || log "could not stop dovecot ($DOVECOT_CONF)"
  fi
  rm -rf "$WORK" "$MAILSERVER"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# The messages of one batch: gen_mail DIR COUNT RUN writes DIR/000001.eml ... (RUN makes the
# Message-IDs this batch's own) and prints "NEW REPLIES".
gen_mail() {
  python3 - "$@" <<'PY'
import email.policy
import email.utils
import os
import random
import sys
from email.message import EmailMessage

out, count, run = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
rng = random.Random(f"tikal-bench-{count}")

NAMES = [
    "María González", "José Hernández", "Lucía Martínez", "Andrés Núñez", "Sofía Ramírez",
    "Jesús Peña", "Valentina Muñoz", "Ángel Gutiérrez", "Camila Domínguez", "Raúl Jiménez",
    "Daniela Ibáñez", "Óscar Fernández", "Ximena Castañeda", "Iñaki Etxeberria", "Mónica Suárez",
    "Héctor Vásquez", "Begoña Ortiz", "Tomás Aguilar", "Renata López", "Joaquín Rodríguez",
    "Paula Sánchez", "Martín Díaz", "Elena Morales", "Sebastián Rojas", "Carmen Ruiz",
    "Gonzalo Pérez", "Natalia Romero", "Ramón Alvarado", "Lorena Medina", "Felipe Cortés",
    "Adriana Guzmán", "Emilio Navarro", "Rocío Delgado", "Hugo Castillo", "Inés Herrera",
    "Francisco Vargas", "Alejandra Flores", "Nicolás Mendoza", "Pilar Ríos", "Ignacio Salazar",
]

ISSUES = [
    ("La impresora del piso 3 no imprime",
     "Buenos días:\n\nLa impresora HP del piso 3 (junto a la sala de reuniones) no imprime desde esta mañana. "
     "Los trabajos quedan en la cola con el estado «Error» y la pantalla muestra «Atasco de papel», "
     "aunque ya revisamos las bandejas y no hay papel atascado."),
    ("No puedo entrar a la VPN",
     "Hola:\n\nDesde ayer no puedo conectarme a la VPN desde casa. El cliente dice «No se pudo establecer "
     "la conexión» después de escribir la contraseña. Mi contraseña sí funciona en el correo."),
    ("Correo rebotado a un proveedor",
     "Estimados:\n\nCada vez que envío un correo a nuestro proveedor de papelería me llega un aviso de "
     "«entrega fallida». ¿Podrían revisar si su dominio está bloqueado?"),
    ("Solicitud de acceso a la carpeta compartida de Contabilidad",
     "Hola, necesito acceso de lectura a la carpeta \\\\servidor\\Contabilidad\\2026 para preparar el "
     "cierre del trimestre. Mi jefa, la Lic. Ibáñez, está en copia y lo autoriza."),
    ("El proyector de la sala Álamo no enciende",
     "Buenas tardes:\n\nTenemos una presentación a las 16:00 y el proyector de la sala Álamo no enciende; "
     "la luz de estado parpadea en naranja."),
    ("Olvidé mi contraseña del sistema de nómina",
     "Buen día, olvidé la contraseña del portal de nómina y después de tres intentos la cuenta quedó "
     "bloqueada. ¿Me ayudan a restablecerla?"),
    ("La computadora está muy lenta",
     "Hola:\n\nMi equipo tarda más de diez minutos en arrancar y Excel se congela al abrir archivos "
     "grandes. Es una laptop Lenovo con etiqueta de inventario TI-04512."),
    ("Instalación de software estadístico",
     "Solicito la instalación de R y RStudio en el equipo del laboratorio 2 para el curso de estadística "
     "que empieza el lunes."),
    ("Teléfono IP sin tono",
     "El teléfono de la extensión 2315 no da tono desde que movieron el escritorio. El cable está "
     "conectado y la pantalla dice «Registrando…»."),
    ("Alta de un nuevo empleado",
     "Hola, el lunes se incorpora Andrea Cifuentes al área de Compras. Necesita cuenta de correo, "
     "acceso al ERP y una laptop configurada."),
    ("Pantalla azul al conectar el monitor externo",
     "Cada vez que conecto el monitor externo por HDMI la laptop se reinicia con una pantalla azul. "
     "Adjunto el código de error que alcancé a anotar."),
    ("No llega el código de verificación en dos pasos",
     "Buenos días, cambié de celular y ahora no me llega el código de verificación por SMS para "
     "entrar al correo. ¿Cómo lo actualizo?"),
    ("Wi-Fi inestable en la biblioteca",
     "La red inalámbrica de la biblioteca se desconecta cada pocos minutos, sobre todo en la planta "
     "alta. Varios estudiantes se han quejado."),
    ("Error al guardar en SharePoint",
     "Al guardar documentos en el sitio del departamento aparece «El archivo está bloqueado para su "
     "edición por otro usuario», pero nadie más lo tiene abierto."),
    ("Cambio de tóner en la multifuncional de Dirección",
     "La multifuncional de Dirección avisa que el tóner negro está al 2 %. ¿Pueden cambiarlo antes "
     "de la junta de mañana?"),
]

FOLLOW_UPS = [
    "Gracias por la respuesta. Lo intenté de nuevo y el problema sigue igual.",
    "Ya reinicié el equipo como me indicaron, pero no cambió nada. ¿Alguien puede venir a revisarlo?",
    "Les comento que ahora funciona a medias: a veces sí y a veces no.",
    "¿Hay alguna novedad? Lo necesito con urgencia para el cierre de mes.",
    "Perdón, olvidé mencionar que también le pasa a mi compañera de al lado.",
]

SIGNATURES = ["Saludos cordiales,", "Muchas gracias,", "Quedo atento,", "Un saludo,", "Atentamente,"]

# A tiny valid PNG (1x1, grey) and a log excerpt: the two kinds of attachment.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360606060000000050001a5f645400000000049454e44ae426082")


def address(n):
    name = NAMES[n]
    local = name.lower()
    for a, b in zip("áéíóúñü", "aeiounu"):
        local = local.replace(a, b)
    return name, local.replace(" ", ".") + "@uni.example"


originals = []  # (index, message id, subject, sender number, body)
replies = 0
for i in range(count):
    msg = EmailMessage(policy=email.policy.SMTP)
    mid = f"<{run}.{i}@correo.uni.example>"
    if i % 3 == 2 and originals:
        # A reply to an earlier new message of this batch, from its sender; not the latest ones,
        # so two pipes in parallel have stored it before.
        pool = originals[:-2] if len(originals) > 2 else originals[:1]
        o_index, o_mid, o_subject, sender, o_body = rng.choice(pool)
        subject = "Re: " + o_subject
        quoted = "\n".join("> " + line for line in o_body.splitlines())
        body = f"{rng.choice(FOLLOW_UPS)}\n\n{rng.choice(SIGNATURES)}\n{NAMES[sender]}\n\nEl 26/11/2026 a las 10:{o_index % 60:02d}, {NAMES[sender]} escribió:\n{quoted}\n"
        replies += 1
        attach = None
    else:
        sender = rng.randrange(len(NAMES))
        subject, text = ISSUES[rng.randrange(len(ISSUES))]
        body = f"{text}\n\n{rng.choice(SIGNATURES)}\n{NAMES[sender]}\nExtensión {2000 + sender * 7}\n"
        originals.append((i, mid, subject, sender, body))
        attach = (len(originals) % 7 == 0)
    name, email_address = address(sender)
    msg["From"] = email.utils.formataddr((name, email_address))
    msg["To"] = "Mesa de Ayuda <soporte@uni.example>"
    msg["Subject"] = subject
    msg["Message-ID"] = mid
    if subject.startswith("Re: "):
        msg["In-Reply-To"] = o_mid
        msg["References"] = o_mid
    msg["Date"] = email.utils.formatdate(1795683600 + i * 37, usegmt=True)
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    if attach:
        if i % 2:
            msg.add_attachment(PNG, maintype="image", subtype="png", filename="captura de pantalla.png")
        else:
            log = f"2026-11-26 09:{i % 60:02d}:14 ERROR servicio de impresión: trabajo {i} rechazado (código 0x0000011b)\n" * 3
            msg.add_attachment(log.encode("utf-8"), maintype="text", subtype="plain", filename="registro_errores.txt")
    with open(os.path.join(out, f"{i:06d}.eml"), "wb") as f:
        f.write(msg.as_bytes())
print(count - replies, replies)
PY
}

# What the database holds: "tickets messages imported other" (messages: requesters' thread
# messages; imported/other: stored inbound mail by outcome).
COUNT_SQL="SELECT (SELECT count(*) FROM tickets), \
(SELECT count(*) FROM thread_entries WHERE kind = 'message' AND author_kind = 'requester'), \
(SELECT count(*) FROM mail_inbound WHERE status = 'imported'), \
(SELECT count(*) FROM mail_inbound WHERE status <> 'imported')"
db_counts() {
  local db=$1 dir=$2
  if [[ $db == postgres ]]; then
    psql "$PG_URL/$PG_DB" -v ON_ERROR_STOP=1 -qAt -F ' ' -c "$COUNT_SQL"
  else
    python3 -c '
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
print(*c.execute(sys.argv[2]).fetchone())' "$dir/tikal.db" "$COUNT_SQL"
  fi
}

# check_batch DB NAME BEFORE AFTER MESSAGES NEW [DEFERRED]: every message imported, one
# requester message each, and the tickets opened + replies added = MESSAGES (replies threaded:
# opened = NEW). A deferred pipe delivery leaves its first row behind as `received` (the
# delivery again is a new row): DEFERRED such rows are expected.
check_batch() {
  local db=$1 name=$2 messages=$5 new=$6 deferred=${7:-0}
  local -a b a
  read -r -a b <<<"$3"
  read -r -a a <<<"$4"
  local opened=$((a[0] - b[0])) entries=$((a[1] - b[1])) imported=$((a[2] - b[2])) other=$((a[3] - b[3]))
  local added=$((entries - opened))
  log "$db: $name: $imported imported, $other not imported; $opened tickets opened + $added replies added = $((opened + added)) (sent $messages: $new new, $((messages - new)) replies)"
  [[ $imported -eq $messages && $other -eq $deferred ]] ||
    die "$db: $name: $imported of $messages messages imported, $other rows not imported (expected $deferred left by deferred deliveries)"
  [[ $((opened + added)) -eq $messages ]] || die "$db: $name: tickets opened + replies added = $((opened + added)), not $messages"
  [[ $opened -eq $new ]] || log "$db: $name: note: $opened tickets opened, not $new: $((opened - new)) replies came before their original (deferred) and opened tickets"
}

# result DB PATH MESSAGES SECONDS RATE [P50 P90 P99]: one row of the table ($DEFERRED: pipe
# commands that answered "try again later").
result() {
  printf '{"database":"%s","path":"%s","messages":%s,"seconds":%s,"rate":%s,"p50":%s,"p90":%s,"p99":%s,"deferred":%s}\n' \
    "$1" "$2" "$3" "$4" "$5" "${6:-null}" "${7:-null}" "${8:-null}" "${DEFERRED:-null}" >>"$WORK/mail.jsonl"
}

# finish_pipes DB NAME DIR ENV...: after a batch of `tikal mail ingest` commands (DIR/*.rc:
# their exit codes), prints how many answered 75 (EX_TEMPFAIL: not stored, try again later)
# and delivers those again one at a time, as the MTA would from its queue (not timed). Any
# other failure, or a command that printed no ticket number, stops the run.
finish_pipes() {
  local db=$1 name=$2 dir=$3 f rc deferred=0 attempt
  shift 3
  for f in "$dir"/*.eml; do
    rc=$(cat "$f.rc")
    [[ $rc == 0 || $rc == 75 ]] || die "$db: $name: $(basename "$f"): exit $rc: $(tail -n 2 "$f.err")"
    [[ $rc == 75 ]] || continue
    deferred=$((deferred + 1))
    cat "$f.err" >>"$WORK/$db-deferred.log"
    for attempt in 1 2 3 4 5; do
      rc=0
      env "$@" "$TIKAL" mail ingest <"$f" >"$f.out" 2>"$f.err" || rc=$?
      [[ $rc == 75 ]] || break
      sleep 0.2
    done
    [[ $rc == 0 ]] || die "$db: $name: $(basename "$f"): exit $rc after $attempt retries: $(tail -n 2 "$f.err")"
  done
  if [[ $deferred -gt 0 ]]; then
    log "$db: $name: $deferred commands answered 75 (try again later), delivered again; why:"
    grep -v '^tikal: the message could not be stored' "$WORK/$db-deferred.log" | sed -E 's/^[0-9T:.-]+Z +//' | sort | uniq -c | sort -rn | head -n 5 >&2
    : >"$WORK/$db-deferred.log"
  fi
  local missing
  missing=$(for f in "$dir"/*.eml; do grep -qE '^[A-Za-z0-9-]+$' "$f.out" 2>/dev/null || echo "$f"; done | wc -l)
  [[ $missing -eq 0 ]] || die "$db: $name: $missing commands printed no ticket number"
  echo "$deferred"
}

start_dovecot() {
  local d=$MAILSERVER
  mkdir -p "$d/base" "$d/state" "$d/mail"
  chmod 777 "$d/mail"
  local db
  : >"$d/passwd"
  for db in $DATABASES; do
    printf 'mesa_%s:{PLAIN}%s::::::\n' "$db" "$IMAP_PASSWORD" >>"$d/passwd"
  done
  IMAP_PORT=$(free_port)
  cat >"$d/dovecot.conf" <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $d/base
state_dir = $d/state
log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$d/mail/%u
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN $d/passwd
}
userdb {
  driver = static
  args = uid=vmail gid=vmail home=$d/mail/%u
}
service imap-login {
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
}
EOF
  "$DOVECOT" -c "$d/dovecot.conf" || {
    cat "$d/dovecot.log" >&2 2>/dev/null || true
    die "dovecot did not start"
  }
  DOVECOT_CONF="$d/dovecot.conf"
  for _ in $(seq 1 200); do
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$IMAP_PORT" 2>/dev/null; then
      log "dovecot listening on 127.0.0.1:$IMAP_PORT"
      return 0
    fi
    sleep 0.05
  done
  die "dovecot did not listen on $IMAP_PORT"
}

# imap_append USER DIR: appends every message of DIR to USER's INBOX (unread).
imap_append() {
  python3 - "$IMAP_PORT" "$1" "$IMAP_PASSWORD" "$2" <<'PY'
import imaplib
import os
import sys

port, user, password, folder = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
imap = imaplib.IMAP4("127.0.0.1", port)
imap.login(user, password)
for name in sorted(os.listdir(folder)):
    if name.endswith(".eml"):
        with open(os.path.join(folder, name), "rb") as f:
            typ, data = imap.append("INBOX", None, None, f.read())
        if typ != "OK":
            sys.exit(f"APPEND {name}: {typ} {data}")
typ, data = imap.status("INBOX", "(MESSAGES UNSEEN)")
print(data[0].decode())
imap.logout()
PY
}

# imap_watch USER COUNT CREATED TIMEOUT: watches USER's INBOX until no message is unseen and
# prints JSON: when the first message was seen (seconds after CREATED, an epoch), how many were
# still unseen then, and when the last one was.
imap_watch() {
  python3 - "$IMAP_PORT" "$1" "$IMAP_PASSWORD" "$2" "$3" "$4" <<'PY'
import imaplib
import json
import re
import sys
import time

port, user, password, count, created, timeout = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
imap = imaplib.IMAP4("127.0.0.1", port)
imap.login(user, password)
first = left_at_first = None
while True:
    typ, data = imap.status("INBOX", "(UNSEEN)")
    now = time.time()
    unseen = int(re.search(rb"UNSEEN (\d+)", data[0]).group(1))
    if first is None and unseen < count:
        first, left_at_first = now, unseen
    if unseen == 0:
        break
    if now - created > timeout:
        sys.exit(f"{unseen} of {count} messages still unseen after {timeout:.0f} s")
    time.sleep(0.05)
imap.logout()
print(json.dumps({"first": round(first - created, 3), "left_at_first": left_at_first, "last": round(now - created, 3)}))
PY
}

now() { date +%s.%N; }
# Seconds between two `now`s, to the millisecond.
elapsed() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$1" "$2"; }
rate() { python3 -c "import sys; print(round(float(sys.argv[1]) / float(sys.argv[2]), 1))" "$1" "$2"; }

bench_database() {
  local db=$1
  local dir="$WORK/$db"
  local -a where=(--data-dir "$dir")
  # The environment `tikal mail ingest` gets from an MTA's pipe transport.
  local -a cli_env=("TIKAL_DATA_DIR=$dir")
  mkdir -p "$dir"
  if [[ $db == postgres ]]; then
    command -v psql >/dev/null || die "psql is required for the PostgreSQL run"
    PG_DB="tikal_mail_$$"
    where+=(--database-url "$PG_URL/$PG_DB")
    cli_env+=("TIKAL_DATABASE_URL=$PG_URL/$PG_DB")
    psql_admin "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null
    psql_admin "CREATE DATABASE \"$PG_DB\"" >/dev/null
  elif [[ $db != sqlite ]]; then
    die "unknown database $db (expected sqlite or postgres)"
  fi

  # A fresh database: the first start of `tikal serve` migrates it and makes the default
  # department; the key is created while it runs.
  PORT=$(free_port)
  "$TIKAL" serve --listen "127.0.0.1:$PORT" "${where[@]}" >"$WORK/$db-server.log" 2>&1 &
  SERVER_PID=$!
  local ready=""
  for _ in $(seq 1 300); do
    if curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/readyz" 2>/dev/null; then
      ready=1
      break
    fi
    alive "$SERVER_PID" || break
    sleep 0.1
  done
  [[ -n $ready ]] || {
    tail -n 20 "$WORK/$db-server.log" >&2 || true
    die "$db: server did not become ready"
  }
  local base="http://127.0.0.1:$PORT"
  KEY=$("$TIKAL" api-key create --name bench "${where[@]}" 2>/dev/null | tail -n 1)
  [[ -n $KEY ]] || die "$db: no API key"

  local before after started ended seconds split new i f
  # 1. Pipe, one message after another; each command's wall time too.
  split=$(gen_mail "$WORK/$db-seq" "$MESSAGES" "seq.$db.$$")
  new=${split% *}
  log "$db: pipe: $MESSAGES messages ($new new, ${split#* } replies), one at a time"
  before=$(db_counts "$db" "$dir")
  : >"$WORK/$db-seq.times"
  local t0 t1 rc deferred
  started=$(now)
  for f in "$WORK/$db-seq"/*.eml; do
    t0=$EPOCHREALTIME
    rc=0
    env "${cli_env[@]}" "$TIKAL" mail ingest <"$f" >"$f.out" 2>"$f.err" || rc=$?
    t1=$EPOCHREALTIME
    echo "$rc" >"$f.rc"
    echo "$t0 $t1" >>"$WORK/$db-seq.times"
  done
  ended=$(now)
  deferred=$(finish_pipes "$db" "pipe, one at a time" "$WORK/$db-seq" "${cli_env[@]}")
  after=$(db_counts "$db" "$dir")
  check_batch "$db" "pipe, one at a time" "$before" "$after" "$MESSAGES" "$new" "$deferred"
  seconds=$(elapsed "$started" "$ended")
  local percentiles
  percentiles=$(python3 -c '
import sys
d = sorted((float(b) - float(a)) * 1000 for a, b in (l.split() for l in open(sys.argv[1]) if l.strip()))
p = lambda q: round(d[min(len(d) - 1, int(q * len(d)))], 1)
print(p(0.5), p(0.9), p(0.99))' "$WORK/$db-seq.times")
  log "$db: pipe, one at a time: $((MESSAGES - deferred)) stored in $seconds s ($(rate "$((MESSAGES - deferred))" "$seconds")/s), $deferred deferred; per command p50/p90/p99 $percentiles ms"
  # shellcheck disable=SC2086
  DEFERRED=$deferred result "$db" "pipe, one at a time" "$((MESSAGES - deferred))" "$seconds" "$(rate "$((MESSAGES - deferred))" "$seconds")" $percentiles

  # 2. Pipe, two commands at a time.
  split=$(gen_mail "$WORK/$db-par" "$MESSAGES" "par.$db.$$")
  new=${split% *}
  log "$db: pipe: $MESSAGES messages, two at a time"
  before=$(db_counts "$db" "$dir")
  started=$(now)
  printf '%s\n' "$WORK/$db-par"/*.eml |
    env "${cli_env[@]}" xargs -P 2 -n 1 sh -c '"$0" mail ingest <"$1" >"$1.out" 2>"$1.err"; echo $? >"$1.rc"' "$TIKAL"
  ended=$(now)
  deferred=$(finish_pipes "$db" "pipe, two at a time" "$WORK/$db-par" "${cli_env[@]}")
  after=$(db_counts "$db" "$dir")
  check_batch "$db" "pipe, two at a time" "$before" "$after" "$MESSAGES" "$new" "$deferred"
  seconds=$(elapsed "$started" "$ended")
  log "$db: pipe, two at a time: $((MESSAGES - deferred)) stored in $seconds s ($(rate "$((MESSAGES - deferred))" "$seconds")/s), $deferred deferred"
  DEFERRED=$deferred result "$db" "pipe, 2 in parallel" "$((MESSAGES - deferred))" "$seconds" "$(rate "$((MESSAGES - deferred))" "$seconds")"

  # 3. HTTP: the driver's own messages (every third a reply to the one two before, whichever
  # of the 8 connections stores that first, so a reply may open a ticket: only storage is
  # checked here).
  log "$db: http: $REQUESTS messages at concurrency $CONCURRENCY"
  before=$(db_counts "$db" "$dir")
  local line
  line=$(TIKAL_BENCH_KEY="$KEY" "$DRIVER" --url "$base" --scenario mail --concurrency "$CONCURRENCY" \
    --requests "$REQUESTS" --warmup 20 --max-seconds "$MAX_SECONDS") || die "$db: http failed"
  log "$line"
  after=$(db_counts "$db" "$dir")
  local -a b a
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  log "$db: http: $((a[2] - b[2])) imported, $((a[3] - b[3])) not imported, $((a[0] - b[0])) tickets opened (warm-up of 20 included)"
  python3 -c '
import json, sys
r = json.loads(sys.argv[2])
if r["failures"]:
    sys.exit("%s: http: %d failures" % (sys.argv[1], r["failures"]))
print(json.dumps({"database": sys.argv[1], "path": "HTTP, c=8", "messages": r["requests"], "seconds": r["seconds"],
                  "rate": r["throughput_rps"], "p50": r["p50_ms"], "p90": r["p90_ms"], "p99": r["p99_ms"]}))' "$db" "$line" >>"$WORK/mail.jsonl" ||
    die "$db: http: failures"

  # 4. IMAP: fill the mailbox, then create the account and watch the poller empty it.
  local user="mesa_$db"
  split=$(gen_mail "$WORK/$db-imap" "$MESSAGES" "imap.$db.$$")
  new=${split% *}
  log "$db: imap: appending $MESSAGES messages to $user's INBOX"
  started=$(now)
  log "$db: imap: INBOX $(imap_append "$user" "$WORK/$db-imap")"
  log "$db: imap: appended in $(elapsed "$started" "$(now)") s"
  before=$(db_counts "$db" "$dir")
  local account created
  account=$(python3 -c '
import json, sys
print(json.dumps({"name": "Buzón de soporte", "protocol": "imap", "host": "127.0.0.1", "port": int(sys.argv[1]),
                  "security": "none", "username": sys.argv[2], "password": sys.argv[3],
                  "address": "soporte@uni.example", "poll_seconds": 30}))' "$IMAP_PORT" "$user" "$IMAP_PASSWORD")
  created=$(now)
  curl -fsS -o "$WORK/$db-account.json" -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" \
    --data "$account" "$base/api/v1/mail-accounts" || die "$db: imap: could not create the account"
  local watched
  watched=$(imap_watch "$user" "$MESSAGES" "$created" $((60 + MESSAGES))) || {
    curl -fsS -H "Authorization: Bearer $KEY" "$base/api/v1/mail-accounts" >&2 || true
    die "$db: imap: the poller did not take every message"
  }
  # The last message is marked seen right after it is stored: wait for the row's outcome.
  for _ in $(seq 1 50); do
    after=$(db_counts "$db" "$dir")
    read -r -a a <<<"$after"
    read -r -a b <<<"$before"
    [[ $((a[2] + a[3] - b[2] - b[3])) -ge $MESSAGES ]] && break
    sleep 0.1
  done
  check_batch "$db" "imap" "$before" "$after" "$MESSAGES" "$new"
  local first last left
  read -r first left last < <(python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["first"], r["left_at_first"], r["last"])' "$watched")
  seconds=$(python3 -c "print(round($last - $first, 3))")
  log "$db: imap: first message seen $first s after the account was created ($left still unseen), the last at $last s: $left in $seconds s ($(rate "$left" "$seconds")/s)"
  result "$db" "IMAP, 1 account" "$left" "$seconds" "$(rate "$left" "$seconds")"
  echo "$db $first $last" >>"$WORK/imap-start.txt"

  log "$db: server peak RSS $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status" 2>/dev/null || echo unknown)"
  stop_server
  drop_database
}

start_dovecot
for db in $DATABASES; do
  bench_database "$db"
done

log "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -h | awk '/^Mem:/ {print $2}') RAM; load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
while read -r db first last; do
  log "$db: imap: the first poll began ${first} s after the account was created (the poller looks every 10 s); all done at ${last} s"
done <"$WORK/imap-start.txt"
python3 - "$WORK/mail.jsonl" <<'PY'
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
cell = lambda v: "" if v is None else str(v)
print("| database | path | messages | seconds | messages/s | p50 (ms) | p90 (ms) | p99 (ms) | deferred (exit 75) |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['database']} | {r['path']} | {r['messages']} | {r['seconds']} | {r['rate']:,.1f} | "
          f"{cell(r['p50'])} | {cell(r['p90'])} | {cell(r['p99'])} | {cell(r.get('deferred'))} |")
PY
