//! The tab's types (web/src/model.ts) checked against what the task writes
//! (`schema`), both ways: every field the task writes is declared there with
//! a type its values fit, and every field declared there, in every
//! interface reachable from `Results`, is one the task writes, but for the
//! few the tab reads only from other writers ([`READER_ONLY`]).
//!
//! What the task writes is taken from its own serializer, on documents that
//! hold every field both filled in and empty; model.ts is read with a small
//! parser for the shapes it uses (interfaces of one field per line, type
//! aliases on one line).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{Attachment, document};
use crate::publish::junit::tests::{sample_collection_lint, sample_lint, sample_runs};
use crate::report::lint::{LintOutcome, LintReport};
use crate::report::model::{
    Assertion, AssertionStatus, FailureKind, Message, RequestDetail, RunEnd, Status,
};

/// Fields the tab declares but the task never writes: the first draft's
/// single `lint`, and console lines (the JSON report holds none).
const READER_ONLY: &[(&str, &str)] = &[
    ("Results", "lint"),
    ("ConsoleLine", "level"),
    ("ConsoleLine", "text"),
];

/// model.ts's interfaces (fields and their types, as written) and aliases.
#[derive(Default)]
struct Model {
    interfaces: BTreeMap<String, BTreeMap<String, String>>,
    aliases: BTreeMap<String, String>,
}

fn parse_model(ts: &str) -> Model {
    let mut model = Model::default();
    let mut open: Option<String> = None;
    for line in ts.lines().map(str::trim) {
        if let Some(name) = &open {
            if line == "}" {
                open = None;
            } else if let Some((field, ty)) = line
                .strip_suffix(';')
                .filter(|_| !line.starts_with("/*") && !line.starts_with("//"))
                .and_then(|l| l.split_once(':'))
            {
                let field = field.trim().trim_end_matches('?').to_owned();
                let fields = model.interfaces.get_mut(name).expect("opened");
                fields.insert(field, ty.trim().to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("export interface ") {
            let name = rest.trim_end_matches('{').trim().to_owned();
            model.interfaces.insert(name.clone(), BTreeMap::new());
            open = Some(name);
        } else if let Some((name, ty)) = line
            .strip_prefix("export type ")
            .and_then(|l| l.strip_suffix(';'))
            .and_then(|l| l.split_once(" = "))
        {
            model
                .aliases
                .insert(name.trim().to_owned(), ty.trim().to_owned());
        }
    }
    model
}

/// Splits `text` at `sep` where no bracket, parenthesis or quote is open.
fn split_top(text: &str, sep: char) -> Vec<&str> {
    let (mut depth, mut quoted, mut start, mut parts) = (0i32, false, 0, Vec::new());
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            c if c == sep && depth == 0 && !quoted => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts
}

struct Check<'m> {
    model: &'m Model,
    /// (interface, field) the task wrote.
    written: BTreeSet<(String, String)>,
    /// Each once, whichever element of a list showed it.
    problems: BTreeSet<String>,
}

impl Check<'_> {
    /// Whether `value` fits the TypeScript type `ty`.
    fn fits(&mut self, value: &Value, ty: &str, at: &str) -> bool {
        split_top(ty, '|').into_iter().any(|member| {
            let member = member.trim();
            if let Some(alias) = self.model.aliases.get(member) {
                return self.fits(value, &alias.clone(), at);
            }
            match value {
                Value::Null => member == "null",
                Value::Bool(_) => member == "boolean",
                Value::Number(_) => member == "number",
                Value::String(s) => member == "string" || member == format!("{s:?}"),
                Value::Array(items) => self.array_fits(items, member, at),
                Value::Object(_) if self.model.interfaces.contains_key(member) => {
                    self.object(value, member, at);
                    true
                }
                Value::Object(_) => false,
            }
        })
    }

    fn array_fits(&mut self, items: &[Value], member: &str, at: &str) -> bool {
        if let Some(element) = member.strip_suffix("[]") {
            let element = element.trim_start_matches('(').trim_end_matches(')');
            let element = element.to_owned();
            return items
                .iter()
                .all(|v| self.fits(v, &element, &format!("{at}[]")));
        }
        if let Some(inner) = member.strip_prefix('[').and_then(|m| m.strip_suffix(']')) {
            let types = split_top(inner, ',');
            return types.len() == items.len()
                && items.iter().zip(types).all(|(v, t)| self.fits(v, t, at));
        }
        false
    }

    /// Checks an object the task wrote against the interface `name`.
    fn object(&mut self, value: &Value, name: &str, at: &str) {
        let fields = &self.model.interfaces[name];
        for (key, field_value) in value.as_object().expect("an object") {
            self.written.insert((name.to_owned(), key.clone()));
            let Some(ty) = fields.get(key) else {
                self.problems.insert(format!(
                    "{at}.{key}: the task writes it, model.ts's {name} has no such field"
                ));
                continue;
            };
            let ty = ty.clone();
            if !self.fits(field_value, &ty, &format!("{at}.{key}")) {
                self.problems.insert(format!(
                    "{at}.{key}: the task writes {field_value}, model.ts's {name}.{key} is {ty}"
                ));
            }
        }
    }

    /// Interfaces reachable from `name` through field types and aliases.
    fn reachable(&self, ty: &str, seen: &mut BTreeSet<String>) {
        for word in ty.split(|c: char| !c.is_alphanumeric() && c != '_') {
            if let Some(alias) = self.model.aliases.get(word) {
                if seen.insert(word.to_owned()) {
                    self.reachable(alias, seen);
                }
            } else if let Some(fields) = self.model.interfaces.get(word)
                && seen.insert(word.to_owned())
            {
                for ty in fields.values() {
                    self.reachable(ty, seen);
                }
            }
        }
    }
}

/// Documents that hold every field, filled in and empty, and every status.
fn samples() -> Vec<Value> {
    let mut runs = sample_runs();
    let filled = |i: usize| RequestDetail {
        iteration: 2,
        path: format!("Orders / R{i}"),
        method: "POST".into(),
        url: "http://api.test/orders".into(),
        status: Some(500),
        status_text: Some("Internal Server Error".into()),
        time_ms: Some(12),
        assertions: [
            AssertionStatus::Passed,
            AssertionStatus::Failed,
            AssertionStatus::Skipped,
        ]
        .into_iter()
        .map(|status| Assertion {
            name: "status is 200".into(),
            status,
            message: Some("expected 500 to equal 200".into()),
        })
        .collect(),
        errors: vec![(FailureKind::RequestError, "ECONNRESET".into())],
        request: Some(Message {
            headers: vec![("Accept".into(), "*/*".into())],
            body: Some("{}".into()),
            body_truncated: true,
            size: 2,
        }),
        response: Some(Message {
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: None,
            body_truncated: false,
            size: 0,
        }),
    };
    runs[0].details = vec![filled(1), RequestDetail::default()];
    let mut aborted = runs[1].clone();
    aborted.index = 3;
    aborted.end = RunEnd::Aborted;
    let mut passed = runs[0].clone();
    passed.index = 4;
    passed
        .cases
        .iter_mut()
        .for_each(|c| c.status = Status::Passed);
    runs.extend([aborted, passed]);
    let mut sent = sample_lint();
    if let Ok(parsed) = &mut sent.result {
        parsed.report = LintReport::Sent {
            url: Some("https://go.postman.co/lint/1".into()),
        };
    }
    let failed = LintOutcome {
        result: Err("the Postman CLI could not lint".into()),
        ..sample_lint()
    };
    let lints = [sample_lint(), sample_collection_lint(), sent, failed];
    let html = [Some("postman-report-1-01.html".to_owned()), None];
    let test_plans = [
        crate::publish::test_plan::TestPlanReport {
            plan: Some((7, "Release 1".into())),
            run: Some(crate::publish::test_plan::PlanRun {
                id: 12,
                url: Some(
                    "https://dev.azure.com/contoso/Shop/_TestManagement/Runs?runId=12".into(),
                ),
            }),
            cases: vec![crate::publish::test_plan::LinkedCase {
                id: 101,
                name: "Get user".into(),
                outcome: "Passed",
                points: 2,
                tests: 3,
                flaky: true,
            }],
            not_in_plan: vec![999],
            warnings: vec!["Azure Test Plans: test cases 999 have no test point.".into()],
            lines: Vec::new(),
        },
        crate::publish::test_plan::TestPlanReport::default(),
    ];
    [
        (Some("1/2"), Some("1.62.0"), Some(&test_plans[0])),
        (None, None, Some(&test_plans[1])),
    ]
    .into_iter()
    .map(|(shard, cli_version, test_plan)| {
        let attachment = Attachment {
            title: "Postman",
            shard: shard.map(str::to_owned),
            cli_version,
            runs: &runs,
            html: &html,
            lints: &lints,
            limit: usize::MAX,
            test_plan,
        };
        serde_json::to_value(document(&attachment)).expect("serialize")
    })
    .collect()
}

#[test]
fn the_tabs_types_match_what_the_task_writes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/src/model.ts");
    let model = parse_model(&std::fs::read_to_string(&path).expect("read web/src/model.ts"));
    let mut check = Check {
        model: &model,
        written: BTreeSet::new(),
        problems: BTreeSet::new(),
    };
    for doc in samples() {
        check.object(&doc, "Results", "results");
    }
    let mut reachable = BTreeSet::new();
    check.reachable("Results", &mut reachable);
    for name in reachable
        .iter()
        .filter(|n| model.interfaces.contains_key(*n))
    {
        for field in model.interfaces[name].keys() {
            let key = (name.clone(), field.clone());
            if !check.written.contains(&key) && !READER_ONLY.contains(&(name, field)) {
                check.problems.insert(format!(
                    "model.ts's {name}.{field}: the task never writes it (src/publish/attachment/schema.rs)"
                ));
            }
        }
    }
    assert!(
        reachable.len() > 10,
        "model.ts was not read as expected: {reachable:?}"
    );
    assert!(
        check.problems.is_empty(),
        "web/src/model.ts and the attachment drifted apart:\n{}",
        check.problems.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn the_check_sees_a_field_missing_renamed_or_mistyped() {
    let ts = "export type Kind = \"a\" | \"b\";\n\
              export interface Results {\n  schema: number;\n  kind: Kind;\n  extra?: string;\n  runs?: Run[] | null;\n}\n\
              export interface Run {\n  name: string;\n}\n";
    let model = parse_model(ts);
    let mut check = Check {
        model: &model,
        written: BTreeSet::new(),
        problems: BTreeSet::new(),
    };
    let doc = serde_json::json!({"schema": "1", "kind": "c", "runs": [{"name": "x", "index": 1}]});
    check.object(&doc, "Results", "results");
    assert_eq!(
        check.problems.iter().collect::<Vec<_>>(),
        [
            "results.kind: the task writes \"c\", model.ts's Results.kind is Kind",
            "results.runs[].index: the task writes it, model.ts's Run has no such field",
            "results.schema: the task writes \"1\", model.ts's Results.schema is number",
        ]
    );
    assert!(!check.written.contains(&("Results".into(), "extra".into())));
    let mut seen = BTreeSet::new();
    check.reachable("Results", &mut seen);
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["Kind", "Results", "Run"]
    );
}

#[test]
fn the_samples_hold_every_run_status() {
    let statuses: BTreeSet<String> = samples()[0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        ["aborted", "failed", "incomplete", "passed"]
    );
}
