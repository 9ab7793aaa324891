/**
 * The limit RBAC cannot express on lifeboat's PVC deletions (docs/design.md#pvc-deletion-policy). Restore drills
 * create a scratch PVC beside the original and delete it afterwards, so the operator's ServiceAccount holds `delete`
 * on every PVC in the cluster: RBAC cannot restrict a verb to labelled objects. A ValidatingAdmissionPolicy evaluated
 * by the API server itself closes that: a DELETE of a PersistentVolumeClaim by lifeboat's ServiceAccount is refused
 * unless the claim carries the drill label, and an UPDATE by that ServiceAccount may not add the drill label to a claim
 * that lacked it (otherwise its `patch` grant could label any claim and then delete it). Nobody else is affected: the
 * policy matches only requests whose user is lifeboat's ServiceAccount.
 *
 * `failurePolicy: Fail`: a policy the API server cannot evaluate refuses the request rather than letting it through.
 */
import { DRILL_LABEL } from '../config/keys.ts';
import type { KubeObject } from '../kube/client.ts';
import { objectMeta, type RenderContext } from './meta.ts';

const ADMISSION = 'admissionregistration.k8s.io/v1';

/** The user name the API server gives a ServiceAccount's requests. */
export function serviceAccountUser(namespace: string, serviceAccount: string): string {
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

/** CEL: the claim in `which` (object or oldObject) carries the drill label. */
const drillLabelled = (which: 'object' | 'oldObject') =>
  `has(${which}.metadata.labels) && '${DRILL_LABEL}' in ${which}.metadata.labels`;

const claim = "request.namespace + '/' + request.name";

/** The policy and its binding, named from the release, matching the ServiceAccount the RBAC binds. */
export function pvcDeletionPolicy(ctx: RenderContext): KubeObject[] {
  const name = ctx.names.pvcDeletionPolicy;
  const user = serviceAccountUser(ctx.namespace, ctx.names.serviceAccount);
  const policy = {
    apiVersion: ADMISSION,
    kind: 'ValidatingAdmissionPolicy',
    metadata: objectMeta(ctx, name, { namespaced: false }),
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['DELETE', 'UPDATE'],
            resources: ['persistentvolumeclaims'],
          },
        ],
      },
      matchConditions: [{ name: 'lifeboat-service-account', expression: `request.userInfo.username == '${user}'` }],
      validations: [
        {
          expression: `request.operation != 'DELETE' || (${drillLabelled('oldObject')})`,
          message: `lifeboat deletes only the scratch PVCs of its restore drills (label ${DRILL_LABEL}); refused to delete a PersistentVolumeClaim without that label: it may hold application data`,
          messageExpression: `'lifeboat deletes only the scratch PVCs of its restore drills (label ${DRILL_LABEL}); refused to delete PersistentVolumeClaim ' + ${claim} + ': it does not carry that label and may hold application data'`,
          reason: 'Forbidden',
        },
        {
          expression: `request.operation != 'UPDATE' || !(${drillLabelled('object')}) || (${drillLabelled('oldObject')})`,
          message: `lifeboat may not add the restore-drill label ${DRILL_LABEL} to an existing PersistentVolumeClaim: that label is what allows lifeboat to delete a claim`,
          messageExpression: `'lifeboat may not add the restore-drill label ${DRILL_LABEL} to PersistentVolumeClaim ' + ${claim} + ': that label is what allows lifeboat to delete a claim'`,
          reason: 'Forbidden',
        },
      ],
    },
  };
  const binding = {
    apiVersion: ADMISSION,
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: objectMeta(ctx, name, { namespaced: false }),
    spec: { policyName: name, validationActions: ['Deny'] },
  };
  return [policy as KubeObject, binding as KubeObject];
}
