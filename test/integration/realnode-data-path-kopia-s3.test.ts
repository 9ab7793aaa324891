/**
 * The data-path scenarios on the real node with the real kopia mover and a repository on S3 (the node's MinIO).
 * Nothing here is played. What each scenario checks: test/support/realnode-data-path.ts.
 */
import { dataPathScenarios } from '../support/realnode-data-path.ts';

dataPathScenarios('kopia', 's3');
