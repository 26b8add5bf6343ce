# Source this file from bash to get a throwaway PostgreSQL server for
# dltune's PostgreSQL tests:
#
#	. .ci/postgres.sh           # starts it, exports DLTUNE_TEST_POSTGRES
#	go test ./store/postgres/...
#	dltune_pg_stop              # stops it and removes its files
#
# The cluster lives in a temporary directory and listens only on a Unix
# socket there, so it needs no port and leaves nothing behind. PostgreSQL
# refuses to run as root: as root, the server runs as the postgres system
# user that Debian's package creates (apt-get install postgresql). The
# superuser postgres connects without a password over the socket; every
# other role must give its password, so that the tests can check what a
# wrong one does. DLTUNE_TEST_POSTGRES_DIR names the directory, and
# dltune_pg_ctl runs pg_ctl on the cluster (the tests restart it).

dltune_pg_bin() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
	echo "dltune: no PostgreSQL server found; install it (Debian: apt-get install postgresql)" >&2
	return 1
}

# dltune_pg_as runs a command as the cluster's owner.
dltune_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

dltune_pg_ctl() {
	dltune_pg_as "$DLTUNE_PG_BIN/pg_ctl" -D "$DLTUNE_TEST_POSTGRES_DIR/data" -l "$DLTUNE_TEST_POSTGRES_DIR/log" -w -t 60 "$@" >/dev/null
}

dltune_pg_start() {
	DLTUNE_PG_BIN=$(dltune_pg_bin) || return 1
	local dir
	dir=$(mktemp -d /tmp/dltune-pg.XXXXXX) || return 1
	if [ "$(id -u)" = 0 ]; then
		chown postgres: "$dir" || return 1
	fi
	chmod 0755 "$dir"
	dltune_pg_as "$DLTUNE_PG_BIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		return 1
	}
	# The superuser over the socket without a password, others with one.
	dltune_pg_as sh -c "printf '%s\n' 'local all postgres trust' 'local all all scram-sha-256' >'$dir/data/pg_hba.conf'"
	dltune_pg_as sh -c "cat >>'$dir/data/postgresql.conf'" <<EOF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
	export DLTUNE_TEST_POSTGRES_DIR=$dir DLTUNE_PG_BIN
	dltune_pg_ctl start || {
		cat "$dir/log" >&2
		return 1
	}
	export DLTUNE_TEST_POSTGRES="postgres:///postgres?host=$dir&user=postgres&sslmode=disable"
	echo "PostgreSQL running in $dir; DLTUNE_TEST_POSTGRES=$DLTUNE_TEST_POSTGRES" >&2
}

dltune_pg_stop() {
	[ -n "${DLTUNE_TEST_POSTGRES_DIR:-}" ] || return 0
	dltune_pg_ctl stop -m immediate 2>/dev/null || true
	rm -rf "$DLTUNE_TEST_POSTGRES_DIR"
	unset DLTUNE_TEST_POSTGRES DLTUNE_TEST_POSTGRES_DIR
}

dltune_pg_start
