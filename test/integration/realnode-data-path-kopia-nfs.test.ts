/**
 * The data-path scenarios on the real node with the real kopia mover and a filesystem repository on the node's
 * NFS-like export. Nothing here is played but the NFS server. What each scenario checks:
 * test/support/realnode-data-path.ts.
 */
import { dataPathScenarios } from '../support/realnode-data-path.ts';

dataPathScenarios('kopia', 'nfs');
