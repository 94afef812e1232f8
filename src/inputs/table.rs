//! The inputs, one row each, in the order task.json lists them: the one
//! place an input is written (see [`super::inputs`] for what a row makes).
//! A new input is a new row here, its parser in [`crate::plan`], and, if
//! `run` takes it, its flag in `cli/args.rs`; the tests then say what
//! task.json and the README lack.

use super::{AgentEnv, DefaultValue, ExtraArgs, Group, Kind, Naming, Spec, split_lines};

inputs! {
    Collection collection {
        input: "collection",
        flag: "<COLLECTION>",
        kind: Lines,
        group: Main,
        default: Required,
        help: "One per line: a collection file, a v3 collection folder, a glob pattern or a Postman collection UID.",
    }
    Environment environment {
        input: "environment",
        flag: "--environment",
        kind: Lines,
        group: Main,
        default: Empty,
        help: "One per line: a Postman environment file (JSON or YAML) or environment UID.",
    }
    Globals globals {
        input: "globals",
        flag: "--globals",
        kind: Text,
        group: Main,
        default: Empty,
        help: "A Postman globals file (JSON or YAML).",
    }
    IterationData iteration_data {
        input: "iterationData",
        flag: "--iteration-data",
        kind: Text,
        group: Main,
        default: Empty,
        help: "A JSON or CSV data file: each collection runs once per row unless `iterationCount` is set.",
    }
    IterationCount iteration_count {
        input: "iterationCount",
        flag: "--iteration-count",
        kind: Text,
        group: Main,
        default: Empty,
        help: "How many times to run each collection (a whole number, 1 or more).",
    }
    Folder folder {
        input: "folder",
        flag: "--folder",
        kind: Lines,
        group: Main,
        default: Empty,
        help: "One per line: the name, ID or path (`Folder/Request`) of a folder or request to run instead of the whole collection.",
    }
    EnvVars env_vars {
        input: "envVars",
        flag: "--env-var",
        kind: Lines,
        group: Main,
        default: Empty,
        help: "One `key=value` per line, set as Postman environment variables for the run.",
    }
    GlobalVars global_vars {
        input: "globalVars",
        flag: "--global-var",
        kind: Lines,
        group: Main,
        default: Empty,
        help: "One `key=value` per line, set as Postman global variables for the run.",
    }
    WorkingDirectory working_directory {
        input: "workingDirectory",
        flag: "--working-directory",
        kind: Text,
        group: Main,
        default: EmptyMeans("$(System.DefaultWorkingDirectory)"),
        help: "Where the Postman CLI runs and relative paths are resolved, including files a request uploads.",
    }
    PostmanConnection postman_connection {
        input: "postmanConnection",
        kind: Connection,
        group: Cloud,
        default: Empty,
        help: "A Postman API service connection, which holds the API key.",
    }
    ApiKey api_key {
        input: "apiKey",
        flag: "$POSTMAN_API_KEY",
        kind: Secret,
        group: Cloud,
        default: Empty,
        help: "A Postman API key from a secret variable, e.g. `$(postmanApiKey)`, instead of a service connection.",
    }
    IntegrationId integration_id {
        input: "integrationId",
        flag: "--integration-id",
        kind: Text,
        group: Cloud,
        default: Empty,
        help: "The ID of the API's Azure Pipelines integration in Postman: collection runs are reported to it, tied to this build.",
    }
    Region region {
        input: "region",
        flag: "--region",
        kind: Pick["us", "eu"],
        group: Cloud,
        default: Is("us"),
        help: "Where your Postman team's data lives: `us` or `eu`.",
    }
    FailOnUploadError fail_on_upload_error {
        input: "failOnUploadError",
        flag: "--fail-on-upload-error",
        kind: Bool,
        group: Cloud,
        default: Is("false"),
        help: "Fail the task when a run cannot be reported to Postman, rather than warn.",
    }
    // Off unless asked: a privacy-conscious team expects no usage data sent
    // from its build agents.
    PostmanAnalytics postman_analytics {
        input: "postmanAnalytics",
        flag: "--postman-analytics",
        kind: Bool,
        group: Cloud,
        default: Is("false"),
        help: "Let the Postman CLI send Postman usage analytics (off: it runs with `--no-report-events`).",
    }
    TimeoutMinutes timeout_minutes {
        input: "timeoutMinutes",
        flag: "--timeout-minutes",
        kind: Text,
        group: Cloud,
        default: Empty,
        help: "The most one Postman CLI run may take, in minutes; a run it stops did not complete, and fails.",
    }
    CollectionLint collection_lint {
        input: "collectionLint",
        flag: "--no-collection-lint",
        kind: Bool,
        group: Lint,
        default: Is("true"),
        help: "Lint each git-native (v3) collection folder, YAML environment and YAML globals file of the step with `postman collection lint` (or `environment lint`, `globals lint`), beside the runs.",
    }
    ApiLint api_lint {
        input: "apiLint",
        flag: "--api-definition or --api-id",
        kind: Bool,
        group: Lint,
        default: Is("false"),
        help: "Run Postman's API governance and security rules (`postman api lint`) on the API, beside the collection runs.",
    }
    ApiId api_id {
        input: "apiId",
        flag: "--api-id",
        kind: Text,
        group: Lint,
        default: Empty,
        visible: "apiLint = true",
        help: "The ID of the API in Postman to lint.",
    }
    ApiDefinition api_definition {
        input: "apiDefinition",
        flag: "--api-definition",
        kind: Text,
        group: Lint,
        default: Empty,
        visible: "apiLint = true",
        help: "A local OpenAPI 2.0, 3.0 or 3.1, or AsyncAPI 2 file to lint.",
    }
    LintFailSeverity lint_fail_severity {
        input: "lintFailSeverity",
        flag: "--lint-fail-severity",
        kind: Pick["error", "warn", "info", "hint"],
        group: Lint,
        default: Is("error"),
        visible: "apiLint = true",
        help: "API lint findings at or above this severity fail the task; lower ones are passed checks.",
    }
    CollectionLintFailSeverity collection_lint_fail_severity {
        input: "collectionLintFailSeverity",
        flag: "--collection-lint-fail-severity",
        kind: Pick["none", "error", "warn", "info", "hint"],
        group: Lint,
        default: Is("none"),
        visible: "collectionLint = true",
        help: "Collection lint findings at or above this severity fail the task; with `none`, the default, they are reported and fail nothing.",
    }
    Bail bail {
        input: "bail",
        flag: "--bail",
        kind: Bool,
        group: Run,
        default: Is("false"),
        help: "Stop each collection run at the first failed test or error.",
    }
    Timeout timeout {
        input: "timeout",
        flag: "--timeout",
        kind: Text,
        group: Run,
        default: Empty,
        help: "Milliseconds a whole collection run may take; a run the Postman CLI stops this way did not complete, and fails.",
    }
    TimeoutRequest timeout_request {
        input: "timeoutRequest",
        flag: "--timeout-request",
        kind: Text,
        group: Run,
        default: Empty,
        help: "Milliseconds a single request may take.",
    }
    TimeoutScript timeout_script {
        input: "timeoutScript",
        flag: "--timeout-script",
        kind: Text,
        group: Run,
        default: Empty,
        help: "Milliseconds a pre-request or test script may take.",
    }
    DelayRequest delay_request {
        input: "delayRequest",
        flag: "--delay-request",
        kind: Text,
        group: Run,
        default: Empty,
        help: "Milliseconds to wait between requests.",
    }
    Insecure insecure {
        input: "insecure",
        flag: "--insecure",
        kind: Bool,
        group: Run,
        default: Is("false"),
        help: "Accept any TLS certificate from the API under test (`--insecure`).",
    }
    IgnoreRedirects ignore_redirects {
        input: "ignoreRedirects",
        flag: "--ignore-redirects",
        kind: Bool,
        group: Run,
        default: Is("false"),
        help: "Report 3xx responses instead of following them.",
    }
    SslClientCert ssl_client_cert {
        input: "sslClientCert",
        flag: "--ssl-client-cert",
        kind: Text,
        group: Tls,
        default: Empty,
        help: "A client certificate file to present to the API under test.",
    }
    SslClientKey ssl_client_key {
        input: "sslClientKey",
        flag: "--ssl-client-key",
        kind: Text,
        group: Tls,
        default: Empty,
        help: "The private key of the client certificate.",
    }
    SslClientPassphrase ssl_client_passphrase {
        input: "sslClientPassphrase",
        flag: "$POSTMAN_SSL_CLIENT_PASSPHRASE",
        kind: Secret,
        group: Tls,
        default: Empty,
        help: "The passphrase of the client key, from a secret variable, e.g. `$(clientKeyPassphrase)`.",
    }
    SslExtraCaCerts ssl_extra_ca_certs {
        input: "sslExtraCaCerts",
        flag: "--ssl-extra-ca-certs",
        kind: Text,
        group: Tls,
        default: Empty,
        help: "A PEM file of CA certificates to trust for the API under test, in addition to the usual ones.",
    }
    PublishTestResults publish_test_results {
        input: "publishTestResults",
        kind: Bool,
        group: Results,
        default: Is("true"),
        help: "Publish the results to the pipeline's Tests tab, whether the tests pass or fail.",
    }
    TestRunTitle test_run_title {
        input: "testRunTitle",
        flag: "--test-run-title",
        kind: Text,
        group: Results,
        default: Is("Postman"),
        help: "The title of the test run in the Tests tab, and of the summary's section.",
    }
    FailOnTestFailure fail_on_test_failure {
        input: "failOnTestFailure",
        kind: Bool,
        group: Results,
        default: Is("true"),
        help: "When tests fail, or lint findings fail the task: Failed if true, otherwise Succeeded with issues.",
    }
    ReportDirectory report_directory {
        input: "reportDirectory",
        flag: "--report-dir",
        kind: Text,
        group: Results,
        default: EmptyMeans("$(Agent.TempDirectory)/postman-cli-task"),
        help: "Where reports are written; every task run gets a folder of its own inside it.",
    }
    RequestDetails request_details {
        input: "requestDetails",
        flag: "--request-details",
        kind: Pick["failed", "all", "none"],
        group: Results,
        default: Is("failed"),
        help: "Which requests keep their headers and bodies in the Postman tab of the build: `failed` (a failed test or an error), `all` or `none`.",
    }
    TestPlan test_plan {
        input: "testPlan",
        flag: "--test-plan",
        kind: Text,
        group: TestPlans,
        default: Empty,
        help: "The ID or name of an Azure Test Plans test plan whose test cases the Postman tests update; empty leaves Test Plans alone.",
    }
    TestSuite test_suite {
        input: "testSuite",
        flag: "--test-suite",
        kind: Lines,
        group: TestPlans,
        default: Empty,
        help: "One per line: the ID or name of a suite of the plan to update; empty means every suite.",
    }
    TestConfiguration test_configuration {
        input: "testConfiguration",
        flag: "--test-configuration",
        kind: Lines,
        group: TestPlans,
        default: Empty,
        help: "One per line: the ID or name of a test configuration whose test points to update; empty means every configuration.",
    }
    TestCasePattern test_case_pattern {
        input: "testCasePattern",
        flag: "--test-case-pattern",
        kind: Text,
        group: TestPlans,
        default: Is("\\bTC(\\d+)\\b"),
        help: "A regular expression with one group, the test case ID, found in folder, request and test names.",
    }
    TestCaseMap test_case_map {
        input: "testCaseMap",
        flag: "--test-case-map",
        kind: Text,
        group: TestPlans,
        default: Empty,
        help: "A YAML or JSON file mapping test case IDs to collection, folder or request paths (globs allowed), for names that hold no ID.",
    }
    Parallel parallel {
        input: "parallel",
        flag: "--parallel",
        kind: Text,
        group: Scale,
        default: Is("1"),
        help: "How many collection runs go at once in this job: a number, or `auto` for one per CPU.",
    }
    Shard shard {
        input: "shard",
        flag: "--shard",
        kind: Text,
        group: Scale,
        default: Is("none"),
        help: "Split the collection × environment runs across parallel jobs: `none`, `auto` (from the job's position with `strategy: parallel`), or `i/n`, e.g. `2/4`.",
    }
    RetryFailedRuns retry_failed_runs {
        input: "retryFailedRuns",
        flag: "--retry-failed-runs",
        kind: Text,
        group: Scale,
        default: Is("0"),
        help: "How many times a collection × environment run that failed is run again, as a whole (0 to 10).",
    }
    InstallSource install_source {
        input: "installSource",
        flag: "--install-source",
        kind: Pick["auto", "npm", "postman", "archive", "path"],
        group: Cli,
        default: Is("auto"),
        help: "Where the Postman CLI comes from: the npm registry or a mirror (`auto`, `npm`), Postman's download site (`postman`), a local archive (`archive`), or an installed `postman` (`path`).",
    }
    CliVersion cli_version {
        input: "cliVersion",
        flag: "--cli-version",
        kind: Text,
        group: Cli,
        default: Is("latest"),
        help: "`latest`, an exact version such as `1.62.0`, or a range such as `1.x`.",
    }
    // Three days outlast npm's 72-hour window in which a publisher may still
    // unpublish, and the time the November 2025 worm's releases stayed up;
    // Renovate's `security:minimumReleaseAgeNpm` preset waits as long.
    CliMinimumReleaseAge cli_minimum_release_age {
        input: "cliMinimumReleaseAge",
        flag: "--cli-minimum-release-age",
        kind: Text,
        group: Cli,
        default: Is("3d"),
        help: "How long a version must have been on the npm registry before `latest` or a range installs it, e.g. `3d`, `48h`; `0` turns it off.",
    }
    NpmRegistry npm_registry {
        input: "npmRegistry",
        flag: "--npm-registry",
        kind: Text,
        group: Cli,
        default: EmptyMeans("https://registry.npmjs.org/"),
        visible: "installSource = auto || installSource = npm",
        help: "The npm registry to install the Postman CLI from, e.g. an Azure Artifacts or Artifactory mirror.",
    }
    NpmRegistryToken npm_registry_token {
        input: "npmRegistryToken",
        flag: "$NPM_TOKEN",
        kind: Secret,
        group: Cli,
        default: Empty,
        visible: "installSource = auto || installSource = npm",
        help: "A token for a registry that needs one, from a secret variable.",
    }
    CliArchive cli_archive {
        input: "cliArchive",
        flag: "--cli-archive",
        kind: Text,
        group: Cli,
        default: Empty,
        visible: "installSource = archive",
        help: "A `.tgz` (npm package) or `.zip`/`.tar.gz` (download site) of the Postman CLI on the agent.",
    }
    CliPath cli_path {
        input: "cliPath",
        flag: "--cli-path",
        kind: Text,
        group: Cli,
        default: Empty,
        visible: "installSource = path",
        help: "The `postman` executable to use; empty means the one on PATH.",
    }
    CliSha256 cli_sha256 {
        input: "cliSha256",
        flag: "--cli-sha256",
        kind: Text,
        group: Cli,
        default: Empty,
        visible: "installSource = postman || installSource = archive",
        help: "The SHA-256 (hex) the download or archive must have; anything else is refused.",
    }
    AdditionalArguments additional_arguments {
        input: "additionalArguments",
        flag: "-- <ARGS>",
        kind: Args,
        group: Advanced,
        default: Empty,
        help: "More `postman collection run` options, quoted as in a shell, e.g. `--verbose --use-mock \"{{baseUrl}} mock:./mocks/orders\"`.",
    }
}
