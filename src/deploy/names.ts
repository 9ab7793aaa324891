/**
 * Fixed names and ports of an installation. lifeboat is one per cluster (one Lease, one pair of webhook
 * configurations), so object names do not depend on the Helm release name; only the `app.kubernetes.io/instance`
 * label does. The names the binary itself looks for (Lease, guard ConfigMap, webhook configurations) come from the
 * modules that use them, so RBAC `resourceNames` and the rendered webhooks cannot drift from the code.
 */
import { BREAK_GLASS_LABEL, MUTATE_PATH, NAMESPACE_NAME_LABEL, VALIDATE_PATH } from '../admission/keys.ts';
import {
  DEFAULT_REGISTRATION_NAME,
  MUTATING_WEBHOOK_NAME,
  VALIDATING_WEBHOOK_NAME,
} from '../admission/registration.ts';
import { GUARD_CONFIGMAP } from '../controller/guard-store.ts';
import { LEASE_NAME } from '../controller/operator.ts';
import { IDENTITY_CONFIGMAP } from '../controller/repository-identity-store.ts';
import { VERSION } from '../version.ts';

export {
  BREAK_GLASS_LABEL,
  GUARD_CONFIGMAP,
  IDENTITY_CONFIGMAP,
  LEASE_NAME,
  MUTATE_PATH,
  NAMESPACE_NAME_LABEL,
  VALIDATE_PATH,
};

/** ServiceAccount, ClusterRole(Binding), Role(Binding), Deployment, Service, PodDisruptionBudget. */
export const NAME = 'lifeboat';
export const CONFIG_MAP = 'lifeboat-config';
export const CONFIG_DIR = '/etc/lifeboat';
export const CONFIG_FILE = `${CONFIG_DIR}/config.yaml`;
/** cert-manager objects, with `config.admission.certificate.mode: cert-manager`. */
export const CERT_MANAGER_CA = 'lifeboat-webhook-ca';
export const CERT_MANAGER_SERVING = 'lifeboat-webhook';
/** Both webhook configurations, and the webhook in each. */
export const WEBHOOK_CONFIGURATION = DEFAULT_REGISTRATION_NAME;
export const MUTATING_WEBHOOK = MUTATING_WEBHOOK_NAME;
export const VALIDATING_WEBHOOK = VALIDATING_WEBHOOK_NAME;
export const RUN_AS = 65532;

/**
 * The ports the container serves. `http` carries /healthz, /readyz, /metrics and /exists (and /audit once served);
 * `webhook` is the admission HTTPS server, exposed on the Service at `config.admission.service.port` (443).
 */
export const PORTS = {
  http: { containerPort: 8080, servicePort: 8080 },
  webhook: { containerPort: 9443 },
} as const;

export function selectorLabels(release: string): Record<string, string> {
  return { 'app.kubernetes.io/name': NAME, 'app.kubernetes.io/instance': release };
}

export function commonLabels(release: string): Record<string, string> {
  return { ...selectorLabels(release), 'app.kubernetes.io/version': VERSION, 'app.kubernetes.io/part-of': NAME };
}
