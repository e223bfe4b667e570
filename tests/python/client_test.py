#!/usr/bin/env python3
"""A second-language client (Debian's python3-grpcio): CheckTables and the
standard health service against a running schemagate server.

    client_test.py TARGET PROTO_DIR

Compiles the .proto files with grpc_tools at run time, calls the server and
exits non-zero (with a message) on any unexpected answer.
"""
import os
import sys
import tempfile

import grpc
from grpc_tools import protoc


def compile_protos(out, proto_dir):
    name = "schemagate/v1/schemagate.proto"
    args = ["protoc", f"-I{proto_dir}", "-I/usr/include", f"--python_out={out}",
            f"--grpc_python_out={out}", name]
    if protoc.main(args) != 0:
        sys.exit(f"protoc failed for {name}")


# grpc.health.v1 by hand: generated code for it would live in a "grpc"
# package, which the grpc library itself shadows.
SERVING, NOT_SERVING = 1, 2


def encode_health_request(service):
    data = service.encode()
    return b"\x0a" + bytes([len(data)]) + data if data else b""


def decode_health_response(data):
    # field 1 (varint): the serving status; absent means UNKNOWN (0)
    return data[1] if len(data) >= 2 and data[0] == 0x08 else 0


def main():
    target, proto_dir = sys.argv[1:3]
    out = tempfile.mkdtemp()
    compile_protos(out, proto_dir)
    sys.path.insert(0, out)
    from schemagate.v1 import schemagate_pb2 as pb, schemagate_pb2_grpc as rpc

    channel = grpc.insecure_channel(target)
    stub = rpc.SchemaGateStub(channel)
    reply = stub.CheckTables(pb.CheckTablesRequest(tables=["users", "no_such_table"]),
                             timeout=10)
    statuses = [t.status for t in reply.tables]
    want = [pb.TABLE_STATUS_AVAILABLE, pb.TABLE_STATUS_UNKNOWN_TABLE]
    if statuses != want:
        sys.exit(f"CheckTables: got {statuses}, want {want}")
    if reply.all_available:
        sys.exit("CheckTables: all_available should be false")

    check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                request_serializer=encode_health_request,
                                response_deserializer=decode_health_response)
    for service in ("", "schemagate.v1.SchemaGate", "schemagate.cluster.core"):
        status = check(service, timeout=10)
        if status != SERVING:
            sys.exit(f"health {service!r}: {status}")
    try:
        check("schemagate.cluster.nope", timeout=10)
        sys.exit("health of an unknown service should be NOT_FOUND")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.NOT_FOUND:
            sys.exit(f"health of an unknown service: {e.code()}")

    try:
        stub.CheckTables(pb.CheckTablesRequest(tables=[]), timeout=10)
        sys.exit("an empty CheckTables should be INVALID_ARGUMENT")
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.INVALID_ARGUMENT:
            sys.exit(f"empty CheckTables: {e.code()}")
    print("python client: ok")


if __name__ == "__main__":
    main()
