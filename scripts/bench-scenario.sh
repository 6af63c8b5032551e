#!/bin/sh
# The X clients behind the screen benchmarks' three scenarios, on $DISPLAY:
#   static  an idle terminal
#   typing  xdotool types into a terminal, about 8 characters a second
#   motion  a full-screen terminal scrolling text without pause
#   pointer the pointer alone moving over an idle terminal, about 60 moves a second
# Runs until killed; kill its process group to stop the X clients too.
set -eu
case "${1:-}" in
  static)
    exec xterm -geometry 100x30+100+100
    ;;
  typing)
    xterm -geometry 100x30+100+100 -e cat &
    window=$(xdotool search --sync --class xterm | head -n 1)
    while :; do
      xdotool windowfocus "$window" 2>/dev/null || true
      xdotool type --delay 125 'The printer says it is offline, but the cable is plugged in. '
      xdotool key Return
    done
    ;;
  motion)
    exec xterm -geometry 320x90+0+0 -e sh -c \
      'while :; do ls -l --color=always /usr/lib /usr/share; done'
    ;;
  pointer)
    xterm -geometry 100x30+100+100 &
    moves=""
    i=0
    while [ "$i" -lt 120 ]; do
      moves="$moves mousemove $((400 + i * 8)) $((300 + (i % 20) * 12)) sleep 0.016"
      i=$((i + 1))
    done
    while :; do
      # shellcheck disable=SC2086 # one xdotool, many commands
      xdotool $moves
    done
    ;;
  *)
    echo "usage: $0 static|typing|motion|pointer" >&2
    exit 2
    ;;
esac
