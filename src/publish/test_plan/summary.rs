//! The build summary's "Azure Test Plans" section: the plan's run, each
//! linked test case with its outcome, and what could not be done.

use std::fmt::Write;

use super::TestPlanReport;
use crate::publish::markdown::{escape, link, name};

/// The section, or nothing when Test Plans is off.
pub(crate) fn section(md: &mut String, report: Option<&TestPlanReport>) {
    let Some(report) = report else {
        return;
    };
    md.push_str("#### 🧪 Azure Test Plans\n\n");
    if let (Some((plan_id, plan)), Some(run)) = (&report.plan, &report.run) {
        let run_text = match &run.url {
            Some(url) => format!("[run {}]({})", run.id, link(url)),
            None => format!("run {}", run.id),
        };
        let points: usize = report.cases.iter().map(|c| c.points).sum();
        let _ = writeln!(
            md,
            "Plan **{}** ({plan_id}): {run_text} set {} of {}. It is kept out of this build's test totals; the Tests tab counts each Postman test once.\n",
            name(plan),
            crate::text::plural(points, "test point", "test points"),
            crate::text::plural(report.cases.len(), "test case", "test cases"),
        );
    }
    if !report.cases.is_empty() {
        md.push_str(
            "| Test case | Outcome | Test points | Postman tests |\n| --- | --- | --- | --- |\n",
        );
        for case in &report.cases {
            let outcome = match case.outcome {
                "Passed" if case.flaky => "✅ Passed (flaky: passed on a retry)",
                "Passed" => "✅ Passed",
                "Failed" => "❌ Failed",
                _ => "⏭️ Not executed",
            };
            let _ = writeln!(
                md,
                "| {} {} | {outcome} | {} | {} |",
                case.id,
                name(&case.name),
                case.points,
                case.tests
            );
        }
        md.push('\n');
    }
    for warning in &report.warnings {
        let _ = writeln!(md, "- ⚠️ {}", escape(warning));
    }
    if !report.warnings.is_empty() {
        md.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::{LinkedCase, PlanRun};
    use super::*;

    #[test]
    fn lists_the_cases_with_their_outcomes_and_links_the_run() {
        let report = TestPlanReport {
            plan: Some((7, "Release 1".into())),
            run: Some(PlanRun {
                id: 12,
                url: Some("https://dev.azure.com/contoso/Shop/_TestManagement/Runs?runId=12".into()),
            }),
            cases: vec![
                LinkedCase { id: 101, name: "Get user".into(), outcome: "Passed", points: 2, tests: 3, flaky: true },
                LinkedCase { id: 102, name: "Delete <user>".into(), outcome: "Failed", points: 1, tests: 1, flaky: false },
                LinkedCase { id: 103, name: "Skip".into(), outcome: "NotExecuted", points: 1, tests: 1, flaky: false },
            ],
            not_in_plan: vec![999],
            warnings: vec!["Azure Test Plans: test cases 999 are named by Postman tests but have no test point.".into()],
            lines: Vec::new(),
        };
        let mut md = String::new();
        section(&mut md, Some(&report));
        insta::assert_snapshot!(md);
        let mut none = String::new();
        section(&mut none, None);
        assert!(none.is_empty());
    }
}
