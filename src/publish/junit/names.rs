//! Names Azure's Tests tab keeps apart and can store. Its reader takes a
//! test case's `name` as the test's title and `classname` as where it is
//! stored, word for word; a test run's results are told apart by the two
//! together, so a repeated pair is one test to the test's history, and a
//! failing repeat hides behind a passing one. Microsoft gives 512
//! characters as the most a fully qualified name (`classname.name`) takes.
//!
//! So, over each whole report (one test run):
//! - a pair that comes again gets ` (2)`, ` (3)` on its name by order of
//!   appearance (a `forEach` over `pm.test`, a `setNextRequest` loop), never
//!   a number another test already has ([`crate::text::number_repeats`]);
//! - a class name over [`MAX_CLASSNAME`] characters, and then a name that
//!   would make the whole over [`MAX_FULL_NAME`], is cut in its middle,
//!   where a short hash of the whole goes ([`crate::text::shorten_middle`]),
//!   and the case's output (and a failure's stack trace, which the Tests
//!   tab shows) starts with the names in full.

use quick_junit::{Report, TestCase, TestCaseStatus, XmlString};

use crate::text::{number_repeats, shorten_middle, utf16_len};

/// The most UTF-16 code units (as .NET counts a string) in a test's fully
/// qualified name, `classname.name`.
pub(crate) const MAX_FULL_NAME: usize = 512;
/// The most a class name takes of that: every test of a class is cut the
/// same way, so the class stays one group, and its tests keep room for
/// their own names.
const MAX_CLASSNAME: usize = 256;

/// Makes every test of a report one of its own, and short enough.
pub(super) fn settle(report: &mut Report) {
    number(report);
    for case in cases(report) {
        fit(case);
    }
}

fn cases(report: &mut Report) -> impl Iterator<Item = &mut TestCase> {
    report
        .test_suites
        .iter_mut()
        .flat_map(|s| s.test_cases.iter_mut())
}

fn classname(case: &TestCase) -> &str {
    case.classname.as_deref().unwrap_or_default()
}

/// Numbers the repeats of a (class name, name) pair.
fn number(report: &mut Report) {
    let mut pairs: Vec<(String, String)> = cases(report)
        .map(|c| (classname(c).to_owned(), c.name.to_string()))
        .collect();
    number_repeats(&mut pairs);
    for (case, (_, name)) in cases(report).zip(pairs) {
        if *case.name != *name {
            case.name = XmlString::new(name);
        }
    }
}

/// Cuts a case's class name and name to fit, and says them in full where
/// Azure shows them.
fn fit(case: &mut TestCase) {
    let class_len = utf16_len(classname(case));
    if class_len <= MAX_CLASSNAME && class_len + 1 + utf16_len(&case.name) <= MAX_FULL_NAME {
        return;
    }
    let class = classname(case).to_owned();
    let name = case.name.to_string();
    let short_class = shorten_middle(&class, MAX_CLASSNAME, &class);
    let room = MAX_FULL_NAME - 1 - utf16_len(&short_class);
    let short_name = shorten_middle(&name, room, &format!("{class}.{name}"));
    let mut full = Vec::new();
    if short_name != name {
        full.push(format!("Full name: {name}"));
        case.name = XmlString::new(&*short_name);
    }
    if short_class != class {
        full.push(format!("Full class name: {class}"));
        case.set_classname(&*short_class);
    }
    if full.is_empty() {
        return;
    }
    let full = full.join("\n");
    let prefixed = |text: Option<&XmlString>| match text {
        Some(t) => XmlString::new(format!("{full}\n{}", t.as_str())),
        None => XmlString::new(&full),
    };
    case.system_out = Some(prefixed(case.system_out.as_ref()));
    if let TestCaseStatus::NonSuccess { description, .. } = &mut case.status {
        *description = Some(prefixed(description.as_ref()));
    }
}

#[cfg(test)]
mod tests {
    use quick_junit::{TestCase, TestCaseStatus};

    use super::MAX_FULL_NAME;
    use crate::publish::junit::build;
    use crate::publish::junit::tests::{outcome, sample_runs};
    use crate::report::model::{Failure, FailureKind, Status, TestCase as Case};

    #[test]
    fn a_repeated_test_is_numbered_by_its_order_and_never_takes_a_written_name() {
        let mut run = sample_runs().remove(0);
        run.iterations = 1;
        let case = |request: &str, name: &str, status: Status| Case {
            request: request.into(),
            folder: String::new(),
            name: name.into(),
            iteration: 1,
            status,
            time_ms: 3,
        };
        let failed = Status::Failed(Failure {
            kind: FailureKind::Assertion,
            message: "expected undefined to have property 'id'".into(),
            detail: String::new(),
        });
        run.cases = vec![
            // `[1, 2].forEach(i => pm.test('item has an id', …))`, and a test
            // its author named like the second.
            case("Items", "item has an id", Status::Passed),
            case("Items", "item has an id", failed.clone()),
            case("Items", "item has an id (2)", Status::Passed),
            // A request run three times by `setNextRequest`.
            case("Poll", "status is 200", Status::Passed),
            case("Poll", "status is 200", Status::Passed),
            case("Poll", "status is 200", failed),
        ];
        let report = build("Postman", &[run], None);
        let names: Vec<(&str, &str)> = report.test_suites[0]
            .test_cases
            .iter()
            .map(|c| (c.name.as_str(), outcome(&c.status)))
            .collect();
        assert_eq!(
            names,
            [
                ("Items › item has an id", "success"),
                ("Items › item has an id (3)", "failure"),
                ("Items › item has an id (2)", "success"),
                ("Poll › status is 200", "success"),
                ("Poll › status is 200 (2)", "success"),
                ("Poll › status is 200 (3)", "failure"),
            ]
        );
    }

    #[test]
    fn long_names_are_cut_in_the_middle_and_kept_whole_in_the_output() {
        let mut run = sample_runs().remove(0);
        run.iterations = 1;
        let long = |differs: char| format!("{}{differs}{}", "n".repeat(540), "e".repeat(14));
        let failing = run.cases[1].clone();
        run.cases = vec![
            Case {
                name: long('a'),
                ..failing.clone()
            },
            Case {
                name: long('b'),
                status: Status::Passed,
                ..failing.clone()
            },
            Case {
                name: "x".repeat(685),
                ..failing
            },
        ];
        run.name = format!("Shop {}", "s".repeat(300));
        let report = build("Postman", &[run], None);
        let cases = &report.test_suites[0].test_cases;
        let full =
            |c: &TestCase| format!("{}.{}", c.classname.as_deref().unwrap(), c.name.as_str());
        for c in cases {
            assert!(
                crate::text::utf16_len(&full(c)) <= MAX_FULL_NAME,
                "{}",
                full(c)
            );
            let out = c.system_out.as_deref().unwrap();
            assert!(out.starts_with("Full name: Orders / List › "), "{out}");
            assert!(out.contains("\nFull class name: Shop sss"), "{out}");
        }
        assert_ne!(
            cases[0].name, cases[1].name,
            "names that differ late stay apart"
        );
        assert_eq!(
            cases[0].classname, cases[2].classname,
            "a class is cut the same way for each of its tests"
        );
        // A failure's stack trace, which the Tests tab shows, names it too.
        let TestCaseStatus::NonSuccess { description, .. } = &cases[0].status else {
            panic!("the first case fails");
        };
        assert!(description.as_deref().unwrap().starts_with("Full name: "));
        insta::assert_snapshot!(
            cases
                .iter()
                .map(|c| format!("{}\n{}", c.classname.as_deref().unwrap(), c.name.as_str()))
                .collect::<Vec<_>>()
                .join("\n\n")
        );
    }
}
