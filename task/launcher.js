'use strict';
// Starts the task's native binary. All of the task's logic lives in that
// binary; this file only finds it, restores its run bit, starts it with the
// agent's environment and stdio, passes cancellation signals on, and exits
// with its code. post.js, the post-job step, starts it through start() too.
//
// It runs under whatever Node the agent picks (Node24, Node20_1, and Node16 as
// the agent's fallback on old glibc), so it is plain CommonJS with no
// dependencies and no syntax newer than Node 16.

const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');

// Node's platform/arch pairs we ship a binary for, and the folder under bin/.
// Windows on Arm and macOS on Apple silicon can run x64 binaries through
// emulation, so they fall back to x64 when no native build is present.
const FOLDERS = {
  'linux-x64': ['linux-x64'],
  'linux-arm64': ['linux-arm64'],
  'darwin-x64': ['darwin-x64'],
  'darwin-arm64': ['darwin-arm64', 'darwin-x64'],
  'win32-x64': ['win32-x64'],
  'win32-arm64': ['win32-arm64', 'win32-x64'],
};

// The same escaping the agent's task library applies to a command's message.
function escapeData(text) {
  return String(text).replace(/%/g, '%AZP25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

// Reports a failure the binary could not report itself, then exits non-zero:
// the agent treats a non-zero exit of the Node process as an infrastructure
// failure, which this is.
function fail(message) {
  process.stdout.write('##vso[task.logissue type=error;]' + escapeData(message) + '\n');
  process.stdout.write('##vso[task.complete result=Failed;]' + escapeData(message) + '\n');
  process.exit(1);
}

// How the main step reports what the binary could not: an error that fails
// the step.
const FAIL = { fail: fail, exitCode: function (code) { return code; } };

function findBinary(how) {
  const key = process.platform + '-' + process.arch;
  const exe = process.platform === 'win32' ? 'postman-cli-task.exe' : 'postman-cli-task';
  const candidates = FOLDERS[key] || [key];
  for (const folder of candidates) {
    const file = path.join(__dirname, 'bin', folder, exe);
    if (fs.existsSync(file)) {
      return file;
    }
  }
  const shipped = fs.existsSync(path.join(__dirname, 'bin'))
    ? fs.readdirSync(path.join(__dirname, 'bin')).sort().join(', ')
    : 'none';
  how.fail(
    'The Postman CLI task has no binary for this agent (' + key + '). ' +
      'It ships binaries for: ' + shipped + '. ' +
      'Run the job on a Linux, macOS or Windows agent with one of those platforms.'
  );
  return undefined;
}

// Starts the binary with `args`; `how` says what a failure to start it
// becomes and which exit code the step ends with.
function start(args, how) {
  const binary = findBinary(how);
  if (process.platform !== 'win32') {
    // A .vsix keeps no file modes, so the binary arrives without its run bit.
    try {
      fs.chmodSync(binary, 0o755);
    } catch (err) {
      // A read-only task folder may already hold an executable binary; if it
      // does not, spawn reports the real problem below.
    }
  }

  // The agent cancels by signalling this process only (SIGINT, then SIGTERM,
  // then a kill), so pass each signal on; the binary stops its children and
  // publishes what finished. The listeners go in before the spawn: a signal
  // arriving in between would otherwise kill node and orphan the binary.
  // A SIGKILL cannot be passed on; the binary watches for this process's
  // death itself and stops the same way.
  let child = null;
  let pending = null;
  const forward = function (signal) {
    if (child === null) {
      pending = signal;
      return;
    }
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill(signal);
      } catch (err) {
        // Already gone.
      }
    }
  };
  process.on('SIGINT', function () { forward('SIGINT'); });
  process.on('SIGTERM', function () { forward('SIGTERM'); });

  child = childProcess.spawn(binary, args, {
    stdio: 'inherit',
    env: process.env,
    windowsHide: true,
  });
  if (pending !== null) {
    forward(pending);
  }

  child.on('error', function (err) {
    how.fail('Could not start ' + binary + ': ' + err.message);
  });
  child.on('exit', function (code, signal) {
    if (signal) {
      process.stderr.write('postman-cli-task was stopped by ' + signal + '\n');
      process.exit(how.exitCode(1));
    }
    process.exit(how.exitCode(code === null ? 1 : code));
  });
}

module.exports = { start: start, escapeData: escapeData };

// The agent runs this file itself for the main step; post.js requires it.
if (require.main === module) {
  start(['task'], FAIL);
}
