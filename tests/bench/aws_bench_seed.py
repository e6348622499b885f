#!/usr/bin/python3
"""Seeds the AWS test servers for tests/bench/aws_bench.sh, through the
verifying proxy with awscli's own botocore (Debian's /usr/bin/aws ships it as
awscli.botocore): N objects under one artifacts prefix (8 threads) and M
build records of one project (BatchWriteItem, 25 at a time).

usage: aws_bench_seed.py PROJECT BUILD_ID N_OBJECTS N_BUILDS
Environment: the STATE_DIR/env of the servers (endpoints, keys, names)."""
import concurrent.futures
import os
import sys

from awscli.botocore.session import Session


def client(service, endpoint):
    return Session().create_client(service, region_name=os.environ["AWS_REGION"],
                                   endpoint_url=endpoint)


def seed_objects(prefix, n):
    s3 = client("s3", os.environ["AWS_ENDPOINT_URL_S3"])
    bucket = os.environ["AFT_AWS_ARTIFACTS_BUCKET"]

    def put(i):
        key = "%sdir%02d/file-%05d.txt" % (prefix, i % 20, i)
        s3.put_object(Bucket=bucket, Key=key, Body=b"artifact %d\n" % i)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in pool.map(put, range(n)):
            pass


def seed_builds(project, n):
    ddb = client("dynamodb", os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    table = os.environ["AFT_AWS_TABLE"]
    items = []
    for i in range(n):
        items.append({"PutRequest": {"Item": {
            "buildID": {"S": "%08x-0000-4000-8000-%012x" % (os.getpid(), i)},
            "projectKey": {"S": project},
            "buildTime": {"N": str(1700000000 + i)},
            "branch": {"S": "main"},
            "isBuilding": {"N": "0"},
            "status": {"S": "succeeded" if i % 7 else "failed"},
            "buildResult": {"N": "0" if i % 7 else "1"},
            "buildElapsedTime": {"N": str(30 + i % 600)},
            "triggeredBy": {"S": "bench@aftomato"},
            "executor": {"S": "kubernetes"},
        }}})
    for k in range(0, n, 25):
        batch = {table: items[k:k + 25]}
        while batch:
            r = ddb.batch_write_item(RequestItems=batch)
            batch = r.get("UnprocessedItems") or None


def main():
    project, build_id, n_objects, n_builds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    seed_objects("%s/%s/" % (project, build_id), n_objects)
    seed_builds(project, n_builds)


if __name__ == "__main__":
    main()
