#!/bin/bash
# Runs once, when the primary's data folder is created: a replication role and slot for the
# streaming replica, and pg_hba access for it.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
  create role replicator with replication login password '${REPLICATION_PASSWORD}';
  select pg_create_physical_replication_slot('figdesk_replica');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
