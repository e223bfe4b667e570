#!/usr/bin/env bash
# Rewrites the seed corpus of the rpc fuzz target (tests/fuzz/corpus/rpc/)
# from the text-format requests below: byte 0 = method + 12 * deployment
# (242 + method for deployment 5; see fuzz_rpc.cc), then the request
# encoded by protoc. Run it after changing schemagate.proto or the method
# and deployment tables of fuzz_rpc.cc.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/tests/fuzz/corpus/rpc"
mkdir -p "$out"
rm -f "$out"/*

# seed <name> <method index> <deployment> <request type> <text request>
seed() {
  local name=$1 method=$2 deployment=$3 type=$4 text=$5
  local byte=$((method + 12 * deployment))
  ((deployment == 5)) && byte=$((242 + method))  # the rare slow deployment
  {
    printf "\\$(printf '%03o' "$byte")"
    printf '%s' "$text" | protoc --encode="schemagate.v1.$type" \
      -I "$root/proto" -I /usr/include schemagate/v1/schemagate.proto
  } >"$out/$name"
}

big_sql="SELECT * FROM tasks t JOIN users u ON t.assignee_id = u.id WHERE t.title IN ($(
  for i in $(seq 1 2400); do printf "'t%d'," "$i"; done
)'x')"

for d in 0 3 4; do
  seed "list_clusters_$d" 0 $d ListClustersRequest ''
  seed "check_tables_$d" 1 $d CheckTablesRequest \
    'tables: "tasks" tables: "crm_contacts" tables: "Public.Users" tables: "taskz"'
  seed "validate_join_$d" 2 $d ValidateJoinRequest \
    'tables: ["tasks", "users", "crm_contacts"]
     pairs { left: "tasks" right: "users" foreign_key: "tasks_assignee_id_fkey" }
     pairs { left: "tasks" right: "email_messages" }'
  seed "validate_query_$d" 3 $d ValidateQueryRequest \
    'sql: "SELECT * FROM tasks t JOIN users u ON t.assignee_id = u.id; SELECT * FROM crm_contacts"'
  seed "watch_clusters_$d" 10 $d WatchClustersRequest 'clusters: ["core", "tasks", "legacy"]'
done
seed validate_query_big 3 0 ValidateQueryRequest "sql: \"$big_sql\""
seed watch_all 10 0 WatchClustersRequest ''
for d in 0 5; do
  seed "status_$d" 4 $d GetMigrationStatusRequest ''
  seed "plan_$d" 5 $d PlanMigrationsRequest 'include_sql: true'
  seed "verify_$d" 6 $d VerifySchemaRequest 'ignore_extra_tables: true'
done
for d in 0 1 2 3 4 5; do
  seed "apply_$d" 7 $d ApplyMigrationsRequest 'dry_run: true'
  seed "rollback_$d" 8 $d RollbackClusterRequest 'cluster: "tasks" to_version: 1 dry_run: true'
  seed "repair_$d" 9 $d RepairChecksumsRequest 'cluster: "core" dry_run: true'
  seed "adopt_$d" 11 $d AdoptDatabaseRequest 'source_format: SOURCE_FORMAT_DIESEL dry_run: true'
done
seed adopt_clusters 11 0 AdoptDatabaseRequest \
  'source_format: SOURCE_FORMAT_FLYWAY clusters: ["tasks", "nosuch"] source_history_table: "app.flyway_schema_history"'
seed adopt_unspecified 11 0 AdoptDatabaseRequest 'clusters: "core"'
seed adopt_none_table 11 0 AdoptDatabaseRequest 'source_format: SOURCE_FORMAT_NONE source_history_table: "x"'
seed apply_single_transaction 7 0 ApplyMigrationsRequest 'single_transaction: true'
seed rollback_force 8 0 RollbackClusterRequest 'cluster: "legacy" force: true'
# Malformed: truncated field, a string that is not UTF-8.
printf '\001\012\005ta' >"$out/check_tables_truncated"
printf '\003\012\002\377\376' >"$out/validate_query_bad_utf8"
printf '\012\012\001\000' >"$out/watch_nul_name"
ls "$out" | wc -l
