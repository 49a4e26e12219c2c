#!/bin/sh
# Makes the secret files compose.yaml mounts (deploy/compose/secrets/), each a fresh random
# value; a file that exists is kept, so running it again changes nothing. The folder is
# private to you; the files are world-readable so the containers' own users can read them
# through their bind mounts.
set -eu
dir="$(dirname "$0")/secrets"
mkdir -p "$dir"
chmod 700 "$dir"

random() {
	# 32 random bytes as 64 hex characters: no character a URL or a shell would quote.
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
}

write() {
	if [ ! -s "$dir/$1" ]; then
		printf '%s' "$2" >"$dir/$1"
		chmod 644 "$dir/$1"
	fi
}

write postgres_password "$(random)"
write jwt_secret "$(random)"
write s3_access_key_id "mocheong"
write s3_secret_access_key "$(random)"
write database_url "postgresql+psycopg://mocheong:$(cat "$dir/postgres_password")@postgres:5432/mocheong"
echo "secrets in $dir"
