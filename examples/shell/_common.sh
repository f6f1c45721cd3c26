# Sourced by the shell examples: where continuo listens, and a reply listener (liblo-tools).
# CONTINUO_HOST, CONTINUO_PORT and CONTINUO_REPLY_PORT are the daemon's own setting names.
HOST=${CONTINUO_HOST:-127.0.0.1}
PORT=${CONTINUO_PORT:-7300}
REPLY_PORT=${CONTINUO_REPLY_PORT:-7301}

REPLIES=$(mktemp)
oscdump -L "$REPLY_PORT" > "$REPLIES" &
DUMP_PID=$!
trap 'kill "$DUMP_PID" 2>/dev/null; rm -f "$REPLIES"' EXIT
sleep 0.3  # oscdump must listen before the first request goes out

# wait_for REGEX [SECONDS]: print the first reply line matching REGEX; fail after SECONDS (default 30).
wait_for() {
    local deadline=$((SECONDS + ${2:-30}))
    while ((SECONDS < deadline)); do
        if grep -m1 -E "$1" "$REPLIES"; then
            return 0
        fi
        sleep 0.1
    done
    echo "no reply matching '$1' within ${2:-30} s: is continuo serve running on $HOST:$PORT," \
         "answering on port $REPLY_PORT?" >&2
    return 1
}

# finish JOB: wait for the job's one ending; print its notes and MIDI file, or its error and fail.
finish() {
    local ending
    ending=$(wait_for "/continuo/(done|error) [a-z]+ \"$1\"") || return 1
    grep -E "/continuo/notes [a-z]+ \"$1\"" "$REPLIES" || true
    echo "$ending"
    [[ $ending == */continuo/done* ]]
}
