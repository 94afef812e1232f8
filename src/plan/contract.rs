//! The inputs table's defaults and pick lists, held to the checks: every
//! value task.json offers is one [`build`] takes, and the defaults a
//! pipeline gets from the agent plan as `run` does with its flags left out.

use serde_json::Value;

use super::build;
use crate::azure::agent::AgentEnv;
use crate::inputs::{DefaultValue, Field, Kind, Naming, RawInputs};

#[test]
fn every_default_and_choice_is_one_the_checks_take() {
    for field in Field::ALL {
        let spec = field.spec();
        match (spec.kind, spec.default) {
            (Kind::Bool, DefaultValue::Is("true" | "false")) => {}
            (Kind::Bool, other) => panic!("{}: a boolean defaults to {other:?}", spec.input),
            (Kind::Pick(choices), DefaultValue::Is(v)) => {
                assert!(choices.contains(&v), "{}", spec.input);
            }
            (Kind::Pick(_), other) => panic!("{}: a pick list defaults to {other:?}", spec.input),
            _ => {}
        }
        let values: Vec<&str> = match spec.kind {
            Kind::Pick(choices) => choices.to_vec(),
            _ => field.default_value().into_iter().collect(),
        };
        for value in values {
            let env = AgentEnv::from_pairs([
                ("INPUT_COLLECTION".to_owned(), "c.json".to_owned()),
                (
                    format!("INPUT_{}", spec.input.to_uppercase()),
                    value.to_owned(),
                ),
            ]);
            if let Err(errors) = build(&RawInputs::from_agent(&env)) {
                assert!(
                    errors.iter().all(|e| e.field != *field),
                    "{} = {value}: {errors:?}",
                    spec.input
                );
            }
        }
    }
}

/// A pipeline gets task.json's defaults from the agent; `run` gets the
/// table's when a flag is left out. Both come to the same plan.
#[test]
fn task_json_defaults_plan_as_settings_left_out() {
    let task: Value = serde_json::from_str(include_str!("../../task/task.json")).unwrap();
    let mut pairs = vec![("INPUT_COLLECTION".to_owned(), "c.json".to_owned())];
    for input in task["inputs"].as_array().unwrap() {
        let value = input["defaultValue"].as_str().unwrap_or_default();
        if !value.is_empty() {
            let name = input["name"].as_str().unwrap().to_uppercase();
            pairs.push((format!("INPUT_{name}"), value.to_owned()));
        }
    }
    let from_agent = build(&RawInputs::from_agent(&AgentEnv::from_pairs(pairs)));
    let left_out = build(&RawInputs {
        naming: Some(Naming::Task),
        collection: vec!["c.json".into()],
        ..RawInputs::default()
    });
    assert_eq!(
        format!("{:?}", from_agent.unwrap()),
        format!("{:?}", left_out.unwrap())
    );
}
