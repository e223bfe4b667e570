#!/usr/bin/env python3
"""Generates a typed walker over libpg_query's parse tree messages.

  pg_walk_gen.py <pg_query.proto> <out.h> <out.cc> <out_fields.cc>

Reads pg_query.proto and writes schemagate::sql::PgVisitor (one virtual
Pre() per message type, default: descend) and two walks over a message and
every message-typed field below it: Walk() in field-number order, and
WalkByName() in the order of the fields' JSON names (bytewise), which also
tells the visitor the JSON name of the field each message was reached
through (PgVisitor::field()). The code names every field through its
generated accessor, so the compiler checks it; nothing walks the tree by
string keys. For walks that keep their own state per level (depth,
scopes), it also writes one-level helpers: ForEachChild() (the message-typed
fields of one message, in field-number order), VisitNode() (the message a
Node holds) and SetFields() (how many fields of a message are set; in its
own file, so that a binary using it does not link WalkByName()'s field
names, which a gated build must not contain). Run by
the build (server/CMakeLists.txt); the output lives in the build tree.
"""
import re
import sys

# protobuf's C++ generator appends '_' to accessors that are C++ keywords.
CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch",
    "char", "class", "const", "continue", "default", "delete", "do", "double",
    "else", "enum", "explicit", "export", "extern", "false", "float", "for",
    "friend", "goto", "if", "inline", "int", "long", "mutable", "namespace",
    "new", "not", "operator", "or", "private", "protected", "public", "register",
    "return", "short", "signed", "sizeof", "static", "struct", "switch",
    "template", "this", "throw", "true", "try", "typedef", "typeid", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "while", "xor"}


def accessor(field):
    name = field.lower()
    return name + "_" if name in CPP_KEYWORDS else name


SCALARS = {"string", "bytes", "bool", "int32", "int64", "uint32", "uint64",
           "double", "float", "sint32", "sint64", "fixed32", "fixed64"}


def parse(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    enums = set(re.findall(r"\benum\s+(\w+)\s*\{", text))
    messages = {}
    order = []
    for m in re.finditer(r"\bmessage\s+(\w+)\s*\{", text):
        name = m.group(1)
        # The body up to the matching brace.
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i - 1]
        fields = []
        for f in re.finditer(
                r"(repeated\s+)?([A-Za-z_][\w.]*)\s+(\w+)\s*=\s*(\d+)([^;]*);", body):
            repeated, ftype, fname = bool(f.group(1)), f.group(2), f.group(3)
            json = re.search(r'json_name\s*=\s*"([^"]*)"', f.group(5))
            fields.append((repeated, ftype, fname, json.group(1) if json else fname,
                           int(f.group(4))))
        oneof = re.search(r"\boneof\s+(\w+)\s*\{", body) is not None
        messages[name] = (fields, oneof)
        order.append(name)
    return enums, messages, order


def walk_function(name, fields, fn, by_name):
    """The C++ of `fn` (Walk or WalkByName) for message `name`: Pre(), then
    each message-typed field in `fields` order; by_name also tells the
    visitor each field's JSON name (SetField) before walking it."""
    out = [f"void {fn}(const pg_query::{name}& m, PgVisitor& v) {{\n",
           "  if (!v.Pre(m)) return;\n"]

    def call(arg, json, indent):
        lines = f'{indent}v.SetField("{json}");\n' if by_name else ""
        return lines + f"{indent}{fn}({arg}, v);\n"

    if name == "Node":
        # One switch over the oneof instead of a has_ test per case.
        out.append("  switch (m.node_case()) {\n")
        for repeated, ftype, fname, json, *_ in fields:
            out.append(f"    case pg_query::Node::k{camel(fname)}:\n")
            out.append(call(f"m.{accessor(fname)}()", json, "      ") + "      break;\n")
        out.append("    default:\n      break;\n  }\n}\n\n")
        return "".join(out)
    if not fields:
        out.append("  (void)m;\n")
    out += per_field(fields, lambda arg, f: "{\n" + call(arg, f[3], "    ") + "  }")
    out.append("}\n\n")
    return "".join(out)


def per_field(fields, statement):
    """C++ lines running statement(arg, field) for each message field of m
    that is set: each item of a repeated field, a singular one if present."""
    out = []
    for field in fields:
        acc = accessor(field[2])
        if field[0]:
            out.append(f"  for (const auto& x : m.{acc}()) {statement('x', field)}\n")
        else:
            out.append(f"  if (m.has_{acc}()) {statement(f'm.{acc}()', field)}\n")
    return out


def camel(fname):
    return "".join(p[:1].upper() + p[1:] for p in fname.split("_"))


def for_each_child(name, fields):
    """ForEachChild(m, f): f(child, in_list, field_number) for each
    message-typed field of `name` (field-number order), one level only."""
    out = [f"template <typename F>\nvoid ForEachChild(const pg_query::{name}& m, F&& f) {{\n"]
    if not fields:
        out.append("  (void)m;\n  (void)f;\n")
    out += per_field(fields, lambda arg, f: f"f({arg}, {'true' if f[0] else 'false'}, {f[4]});")
    out.append("}\n\n")
    return "".join(out)


def set_fields(name, fields, messages):
    """SetFields(m): how many fields of `name` hold a value other than the
    default (libpg_query's JSON form writes exactly those: its enums start at
    1, so a set enum is never 0)."""
    out = [f"int SetFields(const pg_query::{name}& m) {{\n  int n = 0;\n"]
    if not fields:
        out.append("  (void)m;\n")
    for repeated, ftype, fname, json, *_ in fields:
        acc = accessor(fname)
        if repeated:
            cond = f"m.{acc}_size() > 0"
        elif ftype in messages:
            cond = f"m.has_{acc}()"
        elif ftype in ("string", "bytes"):
            cond = f"!m.{acc}().empty()"
        else:
            cond = f"m.{acc}() != 0"
        out.append(f"  if ({cond}) ++n;\n")
    out.append("  return n;\n}\n\n")
    return "".join(out)


def main():
    proto, out_h, out_cc, out_fields_cc = sys.argv[1:5]
    enums, messages, order = parse(open(proto).read())

    def is_message(t):
        return t in messages

    h = []
    h.append("// Generated by server/sql/pg_walk_gen.py from pg_query.proto. Do not edit.\n")
    h.append("#ifndef SCHEMAGATE_GENERATED_PG_WALK_H_\n#define SCHEMAGATE_GENERATED_PG_WALK_H_\n\n")
    h.append('#include "pg_query/pg_query.pb.h"\n\nnamespace schemagate::sql {\n\n')
    h.append("// Visits every message of a parse tree. Pre() is called before a\n")
    h.append("// message's fields are walked; returning false skips them.\n")
    h.append("class PgVisitor {\n public:\n  virtual ~PgVisitor() = default;\n")
    for name in order:
        h.append(f"  virtual bool Pre(const pg_query::{name}&) {{ return true; }}\n")
    h.append("\n  // WalkByName() only: the JSON name of the field through which the\n")
    h.append("  // message passed to Pre() was reached (\"relation\", \"pktable\"; a\n")
    h.append("  // Node's member by its type, \"RangeVar\"); \"\" at the root.\n")
    h.append("  const char* field() const { return field_; }\n")
    h.append("  // For the generated walk.\n")
    h.append("  void SetField(const char* field) { field_ = field; }\n\n")
    h.append(" private:\n  const char* field_ = \"\";\n};\n\n")
    h.append("// In field-number order.\n")
    for name in order:
        h.append(f"void Walk(const pg_query::{name}& m, PgVisitor& v);\n")
    h.append("\n// In the order of the fields' JSON names (bytewise), as a walk of\n")
    h.append("// libpg_query's JSON output read into sorted maps would go.\n")
    for name in order:
        h.append(f"void WalkByName(const pg_query::{name}& m, PgVisitor& v);\n")

    h.append("\n// One level, for walks that keep their own state per level: f(child,\n")
    h.append("// in_list, field_number) for each message-typed field of m in\n")
    h.append("// field-number order (the order of libpg_query's JSON output), in_list\n")
    h.append("// for a repeated field's items (compare field_number with the generated\n")
    h.append("// k<Field>FieldNumber constants). Not recursive.\n")
    for name in order:
        if name == "Node":
            continue
        fields = [f for f in messages[name][0] if is_message(f[1])]
        h.append(for_each_child(name, fields))
    h.append("// f(the message a Node holds); not called for an empty Node.\n")
    h.append("template <typename F>\nvoid VisitNode(const pg_query::Node& n, F&& f) {\n")
    h.append("  switch (n.node_case()) {\n")
    for repeated, ftype, fname, json, *_ in messages["Node"][0]:
        h.append(f"    case pg_query::Node::k{camel(fname)}:\n")
        h.append(f"      f(n.{accessor(fname)}());\n      break;\n")
    h.append("    default:\n      break;\n  }\n}\n\n")
    h.append("// How many fields of m hold a value other than the default: the members\n")
    h.append("// of m's JSON form.\n")
    for name in order:
        if name != "Node":
            h.append(f"int SetFields(const pg_query::{name}& m);\n")
    h.append("\n}  // namespace schemagate::sql\n\n#endif  // SCHEMAGATE_GENERATED_PG_WALK_H_\n")

    c = []
    c.append("// Generated by server/sql/pg_walk_gen.py from pg_query.proto. Do not edit.\n")
    c.append('#include "pg_walk.h"\n\nnamespace schemagate::sql {\n\n')
    for fn, by_name in (("Walk", False), ("WalkByName", True)):
        for name in order:
            fields = [f for f in messages[name][0] if is_message(f[1])]
            if by_name:
                fields.sort(key=lambda f: f[3].encode())
            c.append(walk_function(name, fields, fn, by_name))
    c.append("}  // namespace schemagate::sql\n")
    f = ["// Generated by server/sql/pg_walk_gen.py from pg_query.proto. Do not edit.\n",
         '#include "pg_walk.h"\n\nnamespace schemagate::sql {\n\n']
    for name in order:
        if name != "Node":
            f.append(set_fields(name, messages[name][0], messages))
    f.append("}  // namespace schemagate::sql\n")
    open(out_h, "w").write("".join(h))
    open(out_cc, "w").write("".join(c))
    open(out_fields_cc, "w").write("".join(f))


if __name__ == "__main__":
    main()
