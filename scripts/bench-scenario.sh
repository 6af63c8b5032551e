#!/bin/sh
# The X clients behind the screen benchmarks' three scenarios, on $DISPLAY:
#   static  an idle terminal
#   typing  xdotool types into a terminal, about 8 characters a second
#   motion  a full-screen terminal scrolling text without pause
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
  *)
    echo "usage: $0 static|typing|motion" >&2
    exit 2
    ;;
esac
