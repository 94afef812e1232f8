//! Azure Test Plans settings (`testPlan` and the inputs beside it): which
//! plan, suites and configurations, and how test case IDs are found in
//! names. Checked here, with no I/O; the map file is read in
//! [`crate::resolve`].

use regex::Regex;

use super::InputErrorKind;
use super::parse::{Errors, given_or_default};
use crate::inputs::{Field, RawInputs};

/// What the Test Plans sink is to update, when `testPlan` is set.
#[derive(Clone, Debug)]
pub(crate) struct TestPlanPlan {
    pub(crate) plan: ItemRef,
    /// Empty: every suite of the plan.
    pub(crate) suites: Vec<ItemRef>,
    /// Empty: every configuration.
    pub(crate) configurations: Vec<ItemRef>,
    /// One capturing group: the test case ID.
    pub(crate) pattern: Regex,
    /// `testCaseMap`, as given.
    pub(crate) map_file: Option<String>,
}

/// A plan, suite or configuration as the user named it: all digits is an
/// ID, anything else a name (compared without regard to case).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ItemRef {
    Id(u32),
    Name(String),
}

impl ItemRef {
    pub(crate) fn parse(text: &str) -> ItemRef {
        let text = text.trim();
        match text.parse::<u32>() {
            Ok(id) if text.chars().all(|c| c.is_ascii_digit()) => ItemRef::Id(id),
            _ => ItemRef::Name(text.to_owned()),
        }
    }

    /// Whether an item with this ID and name is the one meant.
    pub(crate) fn is(&self, id: u32, name: &str) -> bool {
        match self {
            ItemRef::Id(want) => *want == id,
            ItemRef::Name(want) => want.to_lowercase() == name.trim().to_lowercase(),
        }
    }
}

impl std::fmt::Display for ItemRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemRef::Id(id) => write!(f, "{id}"),
            ItemRef::Name(name) => write!(f, "`{name}`"),
        }
    }
}

/// The default pattern: `TC` and digits, as a word (`Get user [TC101]`).
pub(crate) const DEFAULT_PATTERN: &str = r"\bTC(\d+)\b";

/// `testPlan` and its companions; `None` when `testPlan` is empty, when
/// the companions are mistakes (nothing would use them) and the pattern is
/// never compiled.
pub(crate) fn test_plan(raw: &RawInputs, err: &mut impl Errors) -> Option<TestPlanPlan> {
    let plan = raw
        .test_plan
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let Some(plan) = plan else {
        for (field, set) in [
            (Field::TestSuite, !raw.test_suite.is_empty()),
            (Field::TestConfiguration, !raw.test_configuration.is_empty()),
            (
                Field::TestCasePattern,
                raw.test_case_pattern
                    .as_deref()
                    .is_some_and(|p| !p.trim().is_empty() && p.trim() != DEFAULT_PATTERN),
            ),
            (Field::TestCaseMap, raw.test_case_map.is_some()),
        ] {
            if set {
                err(
                    field,
                    InputErrorKind::Requires {
                        other: Field::TestPlan,
                    },
                );
            }
        }
        return None;
    };
    let refs = |lines: &[String]| {
        lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(ItemRef::parse)
            .collect()
    };
    let pattern = pattern(raw, err);
    Some(TestPlanPlan {
        plan: ItemRef::parse(plan),
        suites: refs(&raw.test_suite),
        configurations: refs(&raw.test_configuration),
        pattern: pattern?,
        map_file: raw
            .test_case_map
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_owned),
    })
}

/// `testCasePattern`: a regular expression with exactly one capturing
/// group; the compiled size is bounded so a hostile pattern cannot take
/// the agent's memory.
fn pattern(raw: &RawInputs, err: &mut impl Errors) -> Option<Regex> {
    let text = given_or_default(Field::TestCasePattern, &raw.test_case_pattern)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or(DEFAULT_PATTERN);
    let regex = match regex::RegexBuilder::new(text).size_limit(1 << 20).build() {
        Ok(regex) => regex,
        Err(e) => {
            err(
                Field::TestCasePattern,
                InputErrorKind::BadPattern {
                    value: text.to_owned(),
                    detail: e
                        .to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                },
            );
            return None;
        }
    };
    let groups = regex.captures_len() - 1;
    if groups != 1 {
        err(
            Field::TestCasePattern,
            InputErrorKind::PatternGroups {
                value: text.to_owned(),
                groups,
            },
        );
        return None;
    }
    Some(regex)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Naming;
    use crate::plan::build::tests::{errors, raw};

    #[test]
    fn off_unless_a_plan_is_named_and_companions_need_it() {
        assert!(crate::plan::build(&raw()).unwrap().test_plan.is_none());
        let mut r = raw();
        r.test_suite = vec!["Smoke".into()];
        r.test_case_map = Some("map.yml".into());
        r.test_case_pattern = Some(r"\[(\d+)\]".into());
        insta::assert_snapshot!(errors(&r), @r"
        input `testSuite`: is set but input `testPlan` is not. Set input `testPlan` too, or clear input `testSuite`.
        input `testCasePattern`: is set but input `testPlan` is not. Set input `testPlan` too, or clear input `testCasePattern`.
        input `testCaseMap`: is set but input `testPlan` is not. Set input `testPlan` too, or clear input `testCaseMap`.
        ");
        // task.json's default, as the agent passes it, is no mistake.
        let mut d = raw();
        d.test_case_pattern = Some(DEFAULT_PATTERN.into());
        assert!(crate::plan::build(&d).is_ok());
    }

    #[test]
    fn ids_and_names_are_told_apart() {
        let mut r = raw();
        r.test_plan = Some(" 42 ".into());
        r.test_suite = vec!["7".into(), "Smoke tests".into(), " ".into()];
        r.test_configuration = vec!["Windows 11".into()];
        let p = crate::plan::build(&r).unwrap().test_plan.unwrap();
        assert_eq!(p.plan, ItemRef::Id(42));
        assert_eq!(
            p.suites,
            [ItemRef::Id(7), ItemRef::Name("Smoke tests".into())]
        );
        assert!(p.configurations[0].is(3, "windows 11"));
        assert_eq!(p.pattern.as_str(), DEFAULT_PATTERN);
        assert_eq!(
            ItemRef::parse("99999999999"),
            ItemRef::Name("99999999999".into())
        );
    }

    #[test]
    fn a_pattern_needs_exactly_one_group_and_says_how() {
        let mut r = raw();
        r.test_plan = Some("Release 1".into());
        r.naming = Some(Naming::Task);
        r.test_case_pattern = Some(r"TC\d+".into());
        insta::assert_snapshot!(errors(&r), @r"input `testCasePattern`: `TC\d+` has 0 capturing groups, and needs exactly one: the test case ID. Keep one group around the digits of the ID and make the others non-capturing with `(?:…)`, e.g. `\b(?:TC|Test)(\d+)\b`.");
        r.test_case_pattern = Some(r"(TC)(\d+)".into());
        assert!(errors(&r).contains("has 2 capturing groups"));
        r.test_case_pattern = Some(r"TC(\d+".into());
        r.naming = Some(Naming::Cli);
        insta::assert_snapshot!(errors(&r), @r"`--test-case-pattern`: `TC(\d+` is not a regular expression: error: unclosed group. Give a regular expression with one group for the test case ID, e.g. `\bTC(\d+)\b` for `Get user [TC101]`.");
        r.test_case_pattern = Some(r"\[(\d+)\]".into());
        assert!(crate::plan::build(&r).is_ok());
    }
}
