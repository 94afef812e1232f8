'use strict';
// The task's post-job step (task.json's postjobexecution). With testPlan, a
// step whose tests passed only on a retry leaves their names in a record
// under the agent's temporary folder; the Tests tab's run the agent makes
// from the step's JUnit exists only once the step has ended, so they are
// marked flaky there now, by the binary's `mark-flaky`. Without a record
// this exits at once, with no output and no binary started.
//
// A post-job step must never fail the job: every problem is a warning, and
// the exit code is always 0. Plain CommonJS with no dependencies, like
// launcher.js, whose code path it reuses.

const fs = require('fs');
const path = require('path');

// src/publish/test_plan/tests_tab.rs's RECORD_DIR.
const RECORD_DIR = 'postman-cli-task-flaky';

function hasRecords() {
  const temp = process.env.AGENT_TEMPDIRECTORY;
  if (!temp) {
    return false;
  }
  try {
    return fs.readdirSync(path.join(temp, RECORD_DIR)).some(function (name) {
      return name.endsWith('.json');
    });
  } catch (err) {
    return false;
  }
}

if (hasRecords()) {
  const launcher = require('./launcher.js');
  launcher.start(['mark-flaky'], {
    fail: function (message) {
      process.stdout.write(
        '##vso[task.logissue type=warning;]' +
          launcher.escapeData('The tests that passed only on a retry are not marked flaky in the Tests tab: ' + message) +
          '\n'
      );
      process.exit(0);
    },
    exitCode: function () {
      return 0;
    },
  });
} else {
  process.exit(0);
}
