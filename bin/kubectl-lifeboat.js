#!/usr/bin/env node
// The kubectl plugin (`kubectl lifeboat …`): kubectl runs any `kubectl-<name>` executable on the PATH (krew installs
// it the same way). The same program as `lifeboat`; help and messages say `kubectl lifeboat`.
import './lifeboat.js';
