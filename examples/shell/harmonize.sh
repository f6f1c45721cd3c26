#!/usr/bin/env bash
# Upload a tune as clip "tune" (pitch start_beats duration_beats velocity, four at a time),
# then ask for bass and keys under it; prints the notes and the MIDI file's path.
set -euo pipefail
source "$(dirname "$0")/_common.sh"

oscsend "$HOST" "$PORT" /continuo/clip/set siffiiffiiffiiffi tune \
    72 0 1 90  74 1 1 90  76 2 2 90  77 4 1 90
oscsend "$HOST" "$PORT" /continuo/clip/append siffiiffiiffiiffiiffi tune \
    76 5 1 90  74 6 2 90  72 8 2 90  71 10 2 90  72 12 4 90
wait_for '/continuo/clip/stored si "tune" 9' 5
oscsend "$HOST" "$PORT" /continuo/generate ssssssssisi sh-harmonize task harmonize melody tune \
    parts bass,keys bars 4 seed 3
finish sh-harmonize
