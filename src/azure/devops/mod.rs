//! The job's own connection to Azure DevOps: the collection URL, the
//! project and the job access token the agent hands every task through the
//! `SystemVssConnection` endpoint. No personal access token, no `env:`
//! mapping. The token is a secret: it is kept out of `Debug`, sent only as
//! a sensitive header (see [`rest`]), and, being an `ENDPOINT_AUTH_*`
//! variable, never reaches a child's environment and is masked from the
//! start (see [`crate::secrets`]).

pub(crate) mod rest;

use super::agent::AgentEnv;

/// Where the job's REST calls go, and with what token.
#[derive(Clone)]
pub(crate) struct JobConnection {
    /// The collection URL, ending with `/`.
    pub(crate) collection_url: String,
    /// `System.TeamProjectId`.
    pub(crate) project: String,
    token: String,
}

impl std::fmt::Debug for JobConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobConnection")
            .field("collection_url", &self.collection_url)
            .field("project", &self.project)
            .finish_non_exhaustive()
    }
}

/// What the agent did not hand over: the token, the URL or the project.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NoConnection {
    #[error(
        "the job's access token is not there: the agent's SystemVssConnection came without its AccessToken (a run outside a pipeline, or an agent that withholds it). In a pipeline, give the step `env: SYSTEM_ACCESSTOKEN: $(System.AccessToken)` as a fallback; on your machine, set SYSTEM_ACCESSTOKEN to a token that may view and create test runs"
    )]
    Token,
    #[error(
        "the agent gave no collection URL (SystemVssConnection's URL, System.TeamFoundationCollectionUri); on your machine set SYSTEM_TEAMFOUNDATIONCOLLECTIONURI, e.g. https://dev.azure.com/contoso/"
    )]
    Url,
    #[error(
        "the agent gave no project (System.TeamProjectId); on your machine set SYSTEM_TEAMPROJECTID to the project's ID or name"
    )]
    Project,
}

impl JobConnection {
    /// The connection as the agent describes it: the token from
    /// `ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN` (or
    /// `SYSTEM_ACCESSTOKEN`, as mapped on a laptop), the URL from
    /// `ENDPOINT_URL_SYSTEMVSSCONNECTION` (or the collection URI variable).
    pub(crate) fn from_env(env: &AgentEnv) -> Result<JobConnection, NoConnection> {
        let given = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let token = given(env.endpoint_auth_parameter("SYSTEMVSSCONNECTION", "ACCESSTOKEN"))
            .or_else(|| given(env.variable("System.AccessToken")))
            .ok_or(NoConnection::Token)?;
        let mut collection_url = given(env.get("ENDPOINT_URL_SYSTEMVSSCONNECTION"))
            .or_else(|| given(env.variable("System.TeamFoundationCollectionUri")))
            .or_else(|| given(env.variable("System.CollectionUri")))
            .ok_or(NoConnection::Url)?;
        if !collection_url.ends_with('/') {
            collection_url.push('/');
        }
        let project = given(env.variable("System.TeamProjectId"))
            .or_else(|| given(env.variable("System.TeamProject")))
            .ok_or(NoConnection::Project)?;
        Ok(JobConnection {
            collection_url,
            project,
            token,
        })
    }

    /// The token, for the one header that carries it.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> AgentEnv {
        AgentEnv::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn the_agent_s_endpoint_gives_url_token_and_project() {
        let c = JobConnection::from_env(&env(&[
            (
                "ENDPOINT_URL_SYSTEMVSSCONNECTION",
                "https://dev.azure.com/contoso",
            ),
            (
                "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN",
                "tok-123",
            ),
            ("SYSTEM_TEAMPROJECTID", "6f1c"),
        ]))
        .unwrap();
        assert_eq!(c.collection_url, "https://dev.azure.com/contoso/");
        assert_eq!((c.project.as_str(), c.token()), ("6f1c", "tok-123"));
        assert!(!format!("{c:?}").contains("tok-123"));
    }

    #[test]
    fn what_is_missing_is_named() {
        let no_token = env(&[
            (
                "ENDPOINT_URL_SYSTEMVSSCONNECTION",
                "https://dev.azure.com/contoso/",
            ),
            (
                "ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN",
                " ",
            ),
            ("SYSTEM_TEAMPROJECTID", "6f1c"),
        ]);
        assert_eq!(
            JobConnection::from_env(&no_token).unwrap_err(),
            NoConnection::Token
        );
        let no_project = env(&[
            (
                "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI",
                "https://dev.azure.com/contoso/",
            ),
            ("SYSTEM_ACCESSTOKEN", "t"),
        ]);
        assert_eq!(
            JobConnection::from_env(&no_project).unwrap_err(),
            NoConnection::Project
        );
    }
}
