#include "server/migrate/objects.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "server/sql/pg_proto.h"

namespace schemagate::migrate {
namespace {

constexpr char kSeparator = '\x1f';

RelationName FromRangeVar(const pg_query::RangeVar& range_var) {
  return {range_var.schemaname(), range_var.relname(), ""};
}

bool IsRelationKind(pg_query::ObjectType kind) {
  return kind == pg_query::OBJECT_INDEX || kind == pg_query::OBJECT_TABLE ||
         kind == pg_query::OBJECT_VIEW || kind == pg_query::OBJECT_MATVIEW ||
         kind == pg_query::OBJECT_SEQUENCE;
}

}  // namespace

bool RelationName::Matches(const RelationName& other) const {
  return name == other.name && (schema == other.schema || schema.empty() || other.schema.empty());
}

std::string RelationName::Encode() const {
  return absl::StrCat(schema, std::string(1, kSeparator), name, std::string(1, kSeparator), table);
}

RelationName RelationName::Decode(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, kSeparator);
  parts.resize(3);
  return {parts[0], parts[1], parts[2]};
}

std::string RelationName::Display() const {
  return schema.empty() ? name : absl::StrCat(schema, ".", name);
}

StatementObjects ObjectsOf(absl::string_view statement) {
  StatementObjects out;
  absl::StatusOr<sql::ProtoTree> tree = sql::ParseProto(statement);
  if (!tree.ok()) {
    out.other = true;
    return out;
  }
  for (const sql::ProtoStatement& s : tree->statements) {
    const pg_query::Node& node = *s.node;
    if (node.has_index_stmt()) {
      const pg_query::IndexStmt& index = node.index_stmt();
      if (index.idxname().empty()) {  // PostgreSQL picks the name: nothing to match
        out.other = true;
        continue;
      }
      RelationName table = FromRangeVar(index.relation());
      out.creates.push_back({table.schema, index.idxname(), table.Display()});
    } else if (node.has_create_stmt()) {
      out.creates.push_back(FromRangeVar(node.create_stmt().relation()));
    } else if (node.has_view_stmt()) {
      out.creates.push_back(FromRangeVar(node.view_stmt().view()));
    } else if (node.has_create_seq_stmt()) {
      out.creates.push_back(FromRangeVar(node.create_seq_stmt().sequence()));
    } else if (node.has_create_table_as_stmt()) {
      out.creates.push_back(FromRangeVar(node.create_table_as_stmt().into().rel()));
    } else if (node.has_drop_stmt() && IsRelationKind(node.drop_stmt().remove_type())) {
      for (const pg_query::Node& object : node.drop_stmt().objects()) {
        std::vector<std::string> parts;
        for (const pg_query::Node& part : object.list().items()) {
          parts.push_back(sql::StringOf(part));
        }
        if (!object.has_list() || parts.empty() || parts.size() > 2) {
          out.other = true;
          continue;
        }
        out.drops.push_back(parts.size() == 2 ? RelationName{parts[0], parts[1], ""}
                                              : RelationName{"", parts[0], ""});
      }
    } else {
      out.other = true;
    }
  }
  return out;
}

}  // namespace schemagate::migrate
