#!/bin/sh
# Run once by the postgres image when it creates the primary's data directory: let the replica
# connect for streaming replication with the same password (compose.yaml).
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
