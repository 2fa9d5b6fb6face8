"""template.yaml and samconfig.toml: lint clean, and the security properties hold in every
combination of the template's conditions (parameters)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.deploy import template as tpl
from tests.deploy.handlers import load_app
from tests.fakes.transit import PUBLIC_KEY as TRANSIT_KEY
from tzurot import secrets
from tzurot.config import Settings
from tzurot.crypto import transit_keys
from tzurot.crypto.master_key import WRAP_CONTEXT
from tzurot.crypto.transit_keys import PURPOSE as TRANSIT_PURPOSE

WORKERS = {"GenerateFunction": "GenerateQueue", "ImageFunction": "ImageQueue"}


@pytest.fixture(scope="module")
def template() -> dict:
    return tpl.load()


@pytest.fixture(scope="module")
def scenarios(template) -> list[dict[str, bool]]:
    return list(tpl.scenarios(template))


def test_cfn_lint_is_clean():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), str(tpl.TEMPLATE)], capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_functions_share_runtime_architecture_and_layer(template):
    function_globals = template["Globals"]["Function"]
    assert function_globals["Runtime"] == "python3.13"
    assert function_globals["Architectures"] == ["arm64"]
    assert function_globals["Layers"] == [{"Ref": "CommonLayer"}]
    layer = template["Resources"]["CommonLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/common/"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "python3.13", "BuildArchitecture": "arm64"}
    requirements = (tpl.ROOT / "layers/common/requirements.txt").read_text()
    assert not re.search(r"^boto3\b", requirements, re.M)  # the runtime provides it


@pytest.mark.parametrize("name", tpl.FUNCTIONS)
def test_each_function_has_an_entry_point(template, name):
    props = template["Resources"][name]["Properties"]
    app = tpl.ROOT / props["CodeUri"] / "app.py"
    assert app.is_file(), f"{app} is missing"
    assert props.get("Handler", template["Globals"]["Function"]["Handler"]) == "app.handler"
    assert callable(load_app(props["CodeUri"].strip("/").split("/")[-1]).handler)


def test_each_function_has_its_own_role_and_log_group(template, scenarios):
    roles = {name: tpl.role_of(template, name) for name in tpl.FUNCTIONS}
    assert len(set(roles.values())) == len(tpl.FUNCTIONS)
    for name in tpl.FUNCTIONS:
        props = template["Resources"][name]["Properties"]
        short = name.removesuffix("Function").lower()
        assert props["FunctionName"] == {"Fn::Sub": f"${{AWS::StackName}}-{short}"}
        log_group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        log_group = template["Resources"][log_group_id]
        assert log_group["Type"] == "AWS::Logs::LogGroup"
        assert log_group["Properties"] == {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{short}"},
            "RetentionInDays": {"Ref": "LogRetentionDays"},
        }
        # The role may write to its own log group and no other.
        for conditions in scenarios[:4]:
            logs = [
                s
                for s in tpl.statements(template, roles[name], conditions)
                if any(a.startswith("logs:") for a in tpl.as_list(s["Action"]))
            ]
            assert logs == [
                {
                    "Sid": "Logs",
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                    "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
                }
            ]


def test_no_identity_policy_uses_a_wildcard_resource(template, scenarios):
    policies = [
        name
        for name, resource in template["Resources"].items()
        if resource["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
    ]
    assert len(policies) == 6
    for conditions in scenarios:
        for name in policies:
            for statement in tpl.statements(template, name, conditions):
                assert statement["Effect"] == "Allow"
                for resource in tpl.as_list(statement["Resource"]):
                    assert not (isinstance(resource, str) and "*" in resource), (name, statement)
                for action in tpl.as_list(statement["Action"]):
                    assert "*" not in action, (name, statement)


def test_only_the_vpc_access_policy_is_managed_and_only_with_a_vpc(template, scenarios):
    vpc_policy = {
        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/"
        "AWSLambdaVPCAccessExecutionRole"
    }
    for conditions in scenarios:
        for name in tpl.FUNCTIONS:
            role = tpl.resolve(
                template["Resources"][tpl.role_of(template, name)]["Properties"], conditions
            )
            expected = [vpc_policy] if conditions["UseVpc"] else None
            assert role.get("ManagedPolicyArns") == expected
            vpc = tpl.function(template, name, conditions).get("VpcConfig")
            if conditions["UseVpc"]:
                assert vpc == {
                    "SubnetIds": {"Ref": "VpcSubnetIds"},
                    "SecurityGroupIds": {"Ref": "VpcSecurityGroupIds"},
                }
            else:
                assert vpc is None


def _kms_statements(template, function_name, conditions):
    role = tpl.role_of(template, function_name)
    return [
        s
        for s in tpl.statements(template, role, conditions)
        if any(a.startswith("kms:") for a in tpl.as_list(s["Action"]))
    ]


def test_the_interactions_role_has_no_kms_action(template, scenarios):
    """It seals job secrets to the transit public key: no KMS permission in any statement of
    any policy, in every combination of conditions (no wildcard that would include one)."""
    role = tpl.role_of(template, "InteractionsFunction")
    for conditions in scenarios:
        statements = tpl.statements(template, role, conditions)
        assert statements  # the role does have its other permissions
        for statement in statements:
            actions = tpl.as_list(statement.get("Action", [])) + tpl.as_list(
                statement.get("NotAction", [])
            )
            assert "NotAction" not in statement
            for action in actions:
                assert not action.lower().startswith("kms:"), statement
                assert "*" not in action.split(":")[0], statement
    props = template["Resources"][role]["Properties"]
    assert not props.get("ManagedPolicyArns") or all(
        "KMS" not in str(arn) for arn in tpl.as_list(props["ManagedPolicyArns"])
    )
    env = tpl.function(template, "InteractionsFunction", scenarios[0])["Environment"]
    assert env["Variables"]["TRANSIT_PUBLIC_KEY"] == {"Ref": "TransitPublicKey"}
    parameter = template["Parameters"]["TransitPublicKey"]
    # Public; empty only for the first deploy, before `keys rotate-transit` can run.
    assert parameter["Default"] == "" and "NoEcho" not in parameter
    assert re.fullmatch(parameter["AllowedPattern"], str(TRANSIT_KEY))
    assert re.fullmatch(parameter["AllowedPattern"], "")
    assert not re.fullmatch(parameter["AllowedPattern"], str(TRANSIT_KEY)[:-2])


@pytest.mark.parametrize(
    ("name", "statements"),
    [
        ("GenerateFunction", [("kms:Decrypt", [WRAP_CONTEXT["purpose"], TRANSIT_PURPOSE])]),
        ("ImageFunction", [("kms:Decrypt", [WRAP_CONTEXT["purpose"], TRANSIT_PURPOSE])]),
        (
            "MigrateFunction",
            [
                (["kms:GenerateDataKey", "kms:Decrypt"], WRAP_CONTEXT["purpose"]),
                ("kms:GenerateDataKey", TRANSIT_PURPOSE),
            ],
        ),
    ],
)
def test_kms_use_is_bound_to_the_contexts_the_code_uses(template, scenarios, name, statements):
    assert set(WRAP_CONTEXT) == {"purpose"}
    assert set(transit_keys.wrap_context("t1")) == {"purpose", "key_id"}
    for conditions in scenarios[:8]:
        found = _kms_statements(template, name, conditions)
        assert [(s["Action"], s["Condition"]) for s in found] == [
            (actions, {"StringEquals": {"kms:EncryptionContext:purpose": purposes}})
            for actions, purposes in statements
        ]
        for statement in found:
            assert statement["Resource"] == {"Fn::GetAtt": ["AppKey", "Arn"]}


def test_key_policy_denies_the_interactions_role_everything(template):
    key = template["Resources"]["AppKey"]
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    allow, deny = key["Properties"]["KeyPolicy"]["Statement"]
    assert allow["Principal"] == {
        "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
    }
    path = template["Resources"]["InteractionsRole"]["Properties"]["Path"]["Fn::Sub"]
    assert path == "/${AWS::StackName}/interactions/"
    assert deny == {
        "Sid": "InteractionsRoleNeverUsesTheKey",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:*",
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "aws:PrincipalArn": {
                    "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role" + path + "*"
                }
            }
        },
    }
    # No other role shares that path prefix.
    for name in tpl.FUNCTIONS[1:]:
        other = template["Resources"][tpl.role_of(template, name)]["Properties"]["Path"]
        assert not other["Fn::Sub"].startswith(path)


def test_queues_are_encrypted_and_dead_lettered(template):
    queues = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SQS::Queue"
    }
    assert set(queues) == {
        "GenerateQueue",
        "GenerateDeadLetterQueue",
        "ImageQueue",
        "ImageDeadLetterQueue",
    }
    for props in queues.values():
        assert props["SqsManagedSseEnabled"] is True
    for source in WORKERS.values():
        redrive = queues[source]["RedrivePolicy"]
        dead_letter = source.replace("Queue", "DeadLetterQueue")
        assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letter, "Arn"]}
        assert redrive["maxReceiveCount"] == {"Ref": "JobMaxReceives"}
        assert queues[dead_letter]["MessageRetentionPeriod"] == 1209600


@pytest.mark.parametrize(("name", "queue"), WORKERS.items())
def test_workers_consume_their_queue_safely(template, scenarios, name, queue):
    from tzurot.jobs.idempotency import LEASE
    from tzurot.jobs.worker import TOKEN_LIFETIME

    props = template["Resources"][name]["Properties"]
    timeout = props["Timeout"]
    visibility = template["Resources"][queue]["Properties"]["VisibilityTimeout"]
    # A failed job comes back when its visibility timeout runs out, so the timeout sits
    # between the claim lease (which outlasts a running attempt) and what the token allows.
    assert timeout < LEASE.total_seconds() < visibility
    # The last allowed delivery starts after (receives - 1) visibility timeouts and must finish
    # its answer (the worker replies with an error then) before the interaction token expires.
    most_receives = max(template["Parameters"]["JobMaxReceives"]["AllowedValues"])
    assert (most_receives - 1) * visibility + timeout < TOKEN_LIFETIME.total_seconds()
    (event,) = props["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["ScalingConfig"] == {
        "MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}
    }
    for conditions in scenarios:
        sqs = [
            s
            for s in tpl.statements(template, tpl.role_of(template, name), conditions)
            if any(a.startswith("sqs:") for a in tpl.as_list(s["Action"]))
        ]
        # What the event source mapping needs, and the two calls the code makes (a short
        # backoff after a passing failure; a paid call's writes spooled while the database is
        # away, tzurot.commands.paid): on its own queue, nothing more.
        assert sqs == [
            {
                "Sid": "ConsumeJobs",
                "Effect": "Allow",
                "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            },
            {
                "Sid": "RetrySooner",
                "Effect": "Allow",
                "Action": "sqs:ChangeMessageVisibility",
                "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            },
            {
                "Sid": "SpoolPaidWrites",
                "Effect": "Allow",
                "Action": "sqs:SendMessage",
                "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            },
        ]


def test_backoff_budget_covers_the_slowest_worker(template):
    """tzurot.jobs.backoff keeps the last receive inside the token assuming each attempt takes
    at most ATTEMPT_SECONDS: the longest worker timeout."""
    from tzurot.jobs import backoff

    timeouts = [template["Resources"][name]["Properties"]["Timeout"] for name in WORKERS]
    assert max(timeouts) == backoff.ATTEMPT_SECONDS


def test_catalog_function_refreshes_daily_with_only_the_database_and_its_keys(template, scenarios):
    props = template["Resources"]["CatalogFunction"]["Properties"]
    assert props["CodeUri"] == "functions/catalog/"
    # Three paged lists within httpx's 30 s read timeout each, and the row writes.
    assert props["Timeout"] >= 4 * 30
    assert props["Events"] == {
        "Daily": {
            "Type": "Schedule",
            "Properties": {"Schedule": "rate(1 day)", "Description": "Refresh the model catalog"},
        }
    }
    for conditions in scenarios:
        sids = [s["Sid"] for s in tpl.statements(template, "CatalogRole", conditions)]
        assert sids == ["Logs", "ReadSecrets"]  # no KMS, no queue
    statements = {s["Sid"]: s for s in tpl.statements(template, "OperatorPolicy", scenarios[0])}
    assert statements["RefreshModelCatalogInAccount"] == {
        "Sid": "RefreshModelCatalogInAccount",
        "Effect": "Allow",
        "Action": "lambda:InvokeFunction",
        "Resource": {"Fn::GetAtt": ["CatalogFunction", "Arn"]},
    }


def test_interactions_function_url_and_warm_start(template, scenarios):
    props = template["Resources"]["InteractionsFunction"]["Properties"]
    assert props["FunctionUrlConfig"]["AuthType"] == "NONE"
    assert props["AutoPublishAlias"] == "live"
    assert props["Timeout"] <= 10
    assert template["Outputs"]["InteractionsUrl"]["Value"] == {
        "Fn::GetAtt": ["InteractionsFunctionUrl", "FunctionUrl"]
    }
    for conditions in scenarios:
        if conditions["UseSnapStart"] and conditions["UseProvisioned"]:
            continue  # one parameter drives both: never true together
        fn = tpl.function(template, "InteractionsFunction", conditions)
        assert ("SnapStart" in fn) == conditions["UseSnapStart"]
        assert ("ProvisionedConcurrencyConfig" in fn) == conditions["UseProvisioned"]
    (enqueue,) = [
        s
        for s in tpl.statements(template, "InteractionsRole", scenarios[0])
        if s["Sid"] == "EnqueueJobs"
    ]
    assert enqueue == {
        "Sid": "EnqueueJobs",
        "Effect": "Allow",
        "Action": "sqs:SendMessage",
        "Resource": [
            {"Fn::GetAtt": ["GenerateQueue", "Arn"]},
            {"Fn::GetAtt": ["ImageQueue", "Arn"]},
        ],
    }


def test_alarms_watch_dead_letters_backlog_and_errors(template):
    alarms = {
        name: resource["Properties"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::CloudWatch::Alarm"
    }
    by_metric: dict[str, set[str]] = {}
    for props in alarms.values():
        value = props["Dimensions"][0]["Value"]
        target = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
        by_metric.setdefault(props["MetricName"], set()).add(target)
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert props["TreatMissingData"] == "notBreaching"
    assert by_metric == {
        "ApproximateNumberOfMessagesVisible": {"GenerateDeadLetterQueue", "ImageDeadLetterQueue"},
        "ApproximateAgeOfOldestMessage": {"GenerateQueue", "ImageQueue"},
        "Errors": {"InteractionsFunction", "GenerateFunction", "ImageFunction"},
        "Duration": {"InteractionsFunction"},
    }


def test_secrets_are_references_readable_only_by_who_needs_them(template, scenarios):
    template_env_names = set()
    for conditions in scenarios:
        store = "ssm" if conditions["UseSsm"] else "secretsmanager"
        for name in tpl.FUNCTIONS:
            env = tpl.function(template, name, conditions)["Environment"]["Variables"]
            template_env_names |= set(env)
            for secret in secrets.SECRET_NAMES:
                assert secret not in env, f"{secret} must not be a plain variable of {name}"
            refs = {
                ref.name: ref
                for ref in secrets.references(
                    {k: v if isinstance(v, str) else "x" for k, v in env.items()}
                )
            }
            wanted = {"DATABASE_URL"}
            if name in WORKERS:
                wanted |= {"DISCORD_BOT_TOKEN"} if conditions["HasBotToken"] else set()
                wanted |= {"TZUROT_GUEST_API_KEY"} if conditions["HasGuestKey"] else set()
            if name == "CatalogFunction" and conditions["HasCatalogKeys"]:
                wanted |= {"TZUROT_CATALOG_KEYS"}
            assert set(refs) == wanted, (name, conditions)
            assert {ref.store for ref in refs.values()} == {store}
            # The role reads exactly the referenced secrets, with the store's own action.
            reads = [
                s
                for s in tpl.statements(template, tpl.role_of(template, name), conditions)
                if s["Sid"] in ("ReadSecrets", "ReadDatabaseUrl")
            ]
            (read,) = reads
            action = "ssm:GetParameter" if conditions["UseSsm"] else "secretsmanager:GetSecretValue"
            assert read["Action"] == action
            assert len(tpl.as_list(read["Resource"])) == len(wanted)
    parameters = template["Parameters"]
    for name in ("DatabaseUrlSecret", "BotTokenSecret", "GuestApiKeySecret", "CatalogKeysSecret"):
        assert parameters[name].get("Default", "") == ""


def test_environment_contract(template, scenarios):
    conditions = scenarios[0]
    env = {
        name: tpl.function(template, name, conditions)["Environment"]["Variables"]
        for name in tpl.FUNCTIONS
    }
    for name, variables in env.items():
        assert variables["KMS_KEY_ID"] == {"Fn::GetAtt": ["AppKey", "Arn"]}, name
        assert variables["DISCORD_APPLICATION_ID"] == {"Ref": "DiscordApplicationId"}
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Tzurot"
    assert env["InteractionsFunction"]["DISCORD_PUBLIC_KEY"] == {"Ref": "DiscordPublicKey"}
    assert env["InteractionsFunction"]["GENERATE_QUEUE_URL"] == {"Ref": "GenerateQueue"}
    assert env["InteractionsFunction"]["IMAGE_QUEUE_URL"] == {"Ref": "ImageQueue"}
    assert env["MigrateFunction"]["TZUROT_MIGRATIONS_DIR"] == "/var/task/migrations"
    for worker in WORKERS:
        assert env[worker]["TZUROT_GUEST_PROVIDER"] == {"Ref": "GuestProvider"}
        # The workers' "last receive" is the queue's: then they reply with an error.
        assert env[worker]["TZUROT_JOB_MAX_RECEIVES"] == {"Ref": "JobMaxReceives"}
    receives = template["Parameters"]["JobMaxReceives"]
    assert receives["Default"] == Settings().job_max_receives == 3
    assert receives["AllowedValues"] == [2, 3]


def test_samconfig_environments_hold_no_secret(template):
    text = (tpl.ROOT / "samconfig.toml").read_text()
    config = tomllib.loads(text)
    assert {"default", "dev", "prod"} <= set(config)
    stacks = {
        env: config[env]["global"]["parameters"]["stack_name"] for env in config if env != "version"
    }
    assert stacks == {"default": "tzurot-dev", "dev": "tzurot-dev", "prod": "tzurot-prod"}
    for env in ("default", "dev", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["capabilities"] == "CAPABILITY_IAM"
        names = [item.split("=", 1)[0] for item in deploy["parameter_overrides"]]
        assert set(names) <= set(template["Parameters"]), env
        assert f"Stage={'prod' if env == 'prod' else 'dev'}" in deploy["parameter_overrides"]
    assert config["prod"]["deploy"]["parameters"]["confirm_changeset"] is True
    secret_shapes = re.compile(
        r"sk-[A-Za-z0-9]|AIza|xox|postgres(ql)?://\S*:\S*@|password|M[TN][A-Za-z0-9]{20,}\.",
        re.I,
    )
    assert not secret_shapes.search(text)


def test_worker_timeouts_outlast_their_provider_calls(template):
    from tzurot.providers.elevenlabs import SPEECH_TIMEOUT
    from tzurot.providers.http import CHAT_TIMEOUT, IMAGE_TIMEOUT

    resources = template["Resources"]
    # Room after the slowest provider answer for the database and the Discord reply.
    assert resources["GenerateFunction"]["Properties"]["Timeout"] >= CHAT_TIMEOUT.read + 20
    # A spoken reply follows the slowest chat answer: both, and the upload, must fit.
    generate = resources["GenerateFunction"]["Properties"]["Timeout"]
    assert generate >= CHAT_TIMEOUT.read + SPEECH_TIMEOUT.read + 5
    assert resources["ImageFunction"]["Properties"]["Timeout"] >= IMAGE_TIMEOUT.read + 15


def test_every_setting_the_code_reads_is_deployable(template, scenarios):
    """A new TZUROT_* variable in tzurot/config.py needs a parameter here (or a secret ref)."""
    source = (tpl.ROOT / "layers/common/tzurot/config.py").read_text()
    knobs = set(re.findall(r'"(TZUROT_[A-Z_]+)"', source))
    assert "TZUROT_JOB_MAX_RECEIVES" in knobs
    for name in WORKERS:
        env = tpl.function(template, name, scenarios[-1])["Environment"]["Variables"]
        strings = {key: value if isinstance(value, str) else "set" for key, value in env.items()}
        deployed = set(env) | {ref.name for ref in secrets.references(strings)}
        assert knobs - deployed == set(), name


def _guide_actions(section: str, service: str) -> set[str]:
    """The `aws <service> <verb>` calls of one section of docs/operations.md, as IAM actions."""
    text = (tpl.ROOT / "docs" / "operations.md").read_text()
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    verbs = re.findall(rf"\baws {service} ([a-z-]+)", body)
    assert verbs, f"no `aws {service}` call in {section!r}"
    return {
        f"{service}:" + "".join(word.capitalize() for word in verb.split("-")) for verb in verbs
    }


def test_operator_policy_allows_what_the_guide_runs(template, scenarios):
    statements = {s["Sid"]: s for s in tpl.statements(template, "OperatorPolicy", scenarios[0])}
    dead_letters = statements["InspectAndRedriveDeadLetters"]
    assert _guide_actions("Dead-letter queues", "sqs") <= set(dead_letters["Action"])
    assert dead_letters["Resource"] == [
        {"Fn::GetAtt": ["GenerateDeadLetterQueue", "Arn"]},
        {"Fn::GetAtt": ["ImageDeadLetterQueue", "Arn"]},
    ]
    # A redrive (start-message-move-task) sends the messages back to the source queues.
    assert statements["RedriveBackToSourceQueues"]["Action"] == [
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
    ]
    # describe-stacks for the outputs; ListStackResources for `--stack-name` in the SAM CLI.
    stack = statements["ReadTheStack"]
    assert _guide_actions("First deploy", "cloudformation") <= set(stack["Action"])
    assert "cloudformation:ListStackResources" in stack["Action"]
    assert stack["Resource"] == {"Ref": "AWS::StackId"}
    # `aws lambda invoke` / `sam remote invoke` of the migrate function (IAM: InvokeFunction).
    assert _guide_actions("First deploy", "lambda") == {"lambda:Invoke"}
    run = statements["RunMigrationsAndKeySetupInAccount"]
    assert (run["Action"], run["Resource"]) == (
        "lambda:InvokeFunction",
        {"Fn::GetAtt": ["MigrateFunction", "Arn"]},
    )
    # Logs Insights needs GetQueryResults besides StartQuery; both scoped to the log groups.
    logs = statements["ReadLogs"]
    assert {"logs:FilterLogEvents", "logs:StartQuery", "logs:GetQueryResults"} <= set(
        logs["Action"]
    )
    assert len(logs["Resource"]) == 5
    # The master key's operations under its encryption context only (no IfExists loophole:
    # a request without a context must not match).
    (master,) = [
        s for s in statements.values() if {"kms:GenerateDataKey", "kms:Decrypt"} & set(s["Action"])
    ]
    assert master["Action"] == ["kms:GenerateDataKey", "kms:Decrypt"]
    assert master["Condition"] == {
        "StringEquals": {"kms:EncryptionContext:purpose": WRAP_CONTEXT["purpose"]}
    }
