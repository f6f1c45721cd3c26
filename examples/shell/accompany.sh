#!/usr/bin/env bash
# Bass and keys over a chord progression; prints the notes and the MIDI file's path.
set -euo pipefail
source "$(dirname "$0")/_common.sh"

oscsend "$HOST" "$PORT" /continuo/generate ssssssssisisi sh-accompany task accompany \
    chords "Am7 | D7 | Gmaj7 | Cmaj7" parts bass,keys bars 8 tempo 96 seed 3
finish sh-accompany
