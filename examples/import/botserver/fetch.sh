#!/usr/bin/env bash
# Fetches the flat Diesel migrations folder of the chat-bot platform the
# gating plan was written for (GeneralBots/botserver) into DEST/migrations,
# to import with map.textproto (README.md). Its SQL is not copied into this
# repository: fetch it from the project, at the revision you run in
# production.
#
#   bash examples/import/botserver/fetch.sh DEST [REF]     # REF: a tag or commit (default main)
set -euo pipefail
dest=${1:?usage: fetch.sh DEST [REF]}
ref=${2:-main}
repo=${BOTSERVER_REPO:-https://github.com/GeneralBots/botserver.git}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -c advice.detachedHead=false clone --quiet --filter=blob:none --no-checkout "$repo" "$work/src"
git -C "$work/src" checkout --quiet "$ref" -- migrations
mkdir -p "$dest"
rm -rf "$dest/migrations"
cp -r "$work/src/migrations" "$dest/migrations"
echo "fetched $(find "$dest/migrations" -name up.sql | wc -l) migrations of $repo at $ref into $dest/migrations"
