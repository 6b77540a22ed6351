"""Runs ../__main__.py under Pulumi's Python mocks and writes every resource it registers.

Usage: python run_under_mocks.py <code dir> <output.json> [program.py]
(the program defaults to ../__main__.py; the docs' Python snippets are run the same way)

The generated pulumi_mangum SDK must be importable (PYTHONPATH). The MangumFunction is a
remote component: under mocks its registration is recorded like any resource, with the
inputs exactly as the Python SDK sends them to the engine (camelCase wire names), which
tests/schema-cli.test.ts then replays into the TypeScript component.
"""

import hashlib
import json
import os
import runpy
import sys

import pulumi

REGION = "eu-west-1"
ACCOUNT = "123456789012"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.resources: list = []

    @staticmethod
    def _id(prefix: str, name: str) -> str:
        # From the name, not a counter: registrations complete in no fixed order.
        return f"{prefix}-{hashlib.sha1(name.encode()).hexdigest()[:8]}"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        rid = f"{args.name}-id"
        if args.typ == "aws:ec2/subnet:Subnet":
            rid = self._id("subnet", args.name)
        elif args.typ == "aws:ec2/securityGroup:SecurityGroup":
            rid = self._id("sg", args.name)
        elif args.typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            rid = self._id("vpce", args.name)
        elif args.typ == "aws:rds/instance:Instance":
            outputs.update(
                address=f"{args.name}.c1a2b3c4d5e6.{REGION}.rds.amazonaws.com",
                port=5432,
                masterUserSecrets=[
                    {
                        "secretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-{args.name}-Xy12Zq"
                    }
                ],
            )
        elif args.typ == "pulumi-mangum:index:MangumFunction":
            outputs = {
                "version": "1",
                "aliasArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{args.name}:live",
                "url": f"https://{args.name}.execute-api.{REGION}.amazonaws.com",
                "deployment": {
                    "status": "Succeeded",
                    "toVersion": "1",
                    "message": "mock",
                },
            }
        self.resources.append(
            {"type": args.typ, "name": args.name, "inputs": plain(args.inputs)}
        )
        return [rid, outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {
                "names": [f"{REGION}a", f"{REGION}b", f"{REGION}c"],
                "zoneIds": ["euw1-az1", "euw1-az2", "euw1-az3"],
                "id": REGION,
            }
        raise NotImplementedError(f"unmocked call {args.token}")


def plain(value):
    """The inputs as JSON: archives and assets by their path, the rest as is."""
    if isinstance(value, pulumi.FileArchive):
        return {"__archive": "file", "path": value.path}
    if isinstance(value, (pulumi.Archive, pulumi.Asset)):
        return {"__unsupported": type(value).__name__}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def main() -> None:
    code_dir, out = sys.argv[1], sys.argv[2]
    mocks = Mocks()
    pulumi.runtime.set_mocks(
        mocks, project="python-fastapi", stack="test", preview=False
    )
    pulumi.runtime.set_all_config(
        {"python-fastapi:codeDir": code_dir, "aws:region": REGION}
    )
    program = (
        sys.argv[3]
        if len(sys.argv) > 3
        else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", "__main__.py"
        )
    )

    @pulumi.runtime.test
    def run():
        runpy.run_path(program, run_name="__main__")
        return pulumi.Output.from_input(None)

    run()
    with open(out, "w", encoding="utf-8") as f:
        json.dump(mocks.resources, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
