/**
 * Names and ports of an installation. The objects the chart owns are named as Helm charts name them: `<release>-lifeboat`,
 * or the release name when it already contains `lifeboat` (so the usual release `lifeboat` gives `lifeboat`), with
 * `nameOverride` / `fullnameOverride`. The names the binary itself looks for stay fixed, because lifeboat is one per
 * cluster: the Lease `lifeboat-controller`, the guard ConfigMap and the two webhook configurations `lifeboat` whose
 * caBundle the leader keeps current. They come from the modules that use them, so RBAC `resourceNames` cannot drift
 * from the code.
 */
import { DEFAULT_REGISTRATION_NAME } from '../admission/registration.ts';
import { IDENTITY_CONFIGMAP } from '../catalog/pins.ts';
import { GUARD_CONFIGMAP } from '../controller/guard-store.ts';
import { LEASE_NAME } from '../controller/operator.ts';
import { VERSION } from '../version.ts';

export { GUARD_CONFIGMAP, IDENTITY_CONFIGMAP, LEASE_NAME };

/** The chart's name: the default of every derived name, the `app.kubernetes.io/part-of` label and the metrics job. */
export const NAME = 'lifeboat';
export const CONFIG_DIR = '/etc/lifeboat';
export const CONFIG_FILE = `${CONFIG_DIR}/config.yaml`;
/** Both webhook configurations. */
export const WEBHOOK_CONFIGURATION = DEFAULT_REGISTRATION_NAME;

/**
 * The ports the container serves. `http` carries /healthz, /readyz, /metrics and /exists (and /audit once served);
 * `webhook` is the admission HTTPS server, exposed on the Service at `config.admission.service.port` (443).
 */
export const PORTS = {
  http: { containerPort: 8080, servicePort: 8080 },
  webhook: { containerPort: 9443 },
} as const;

/** What the derived names depend on. */
export interface NameInput {
  release: string;
  values: { nameOverride: string; fullnameOverride: string; serviceAccount: { create: boolean; name: string } };
}

/** Helm's `trunc 63 | trimSuffix "-"`. */
function fit(name: string): string {
  const cut = name.slice(0, 63);
  return cut.endsWith('-') ? cut.slice(0, -1) : cut;
}

/** `app.kubernetes.io/name`: the chart name or `nameOverride`. */
export function appName(input: NameInput): string {
  return fit(input.values.nameOverride || NAME);
}

/** The base name of every object the chart owns (the templates' `lifeboat.fullname`). */
export function fullname(input: NameInput): string {
  if (input.values.fullnameOverride) return fit(input.values.fullnameOverride);
  const name = appName(input);
  return fit(input.release.includes(name) ? input.release : `${input.release}-${name}`);
}

/** The names of the objects the chart owns, derived once per render. */
export function installNames(input: NameInput) {
  const base = fullname(input);
  const { create, name } = input.values.serviceAccount;
  return {
    /** Deployment, PodDisruptionBudget, Service (unless config.admission.service.name), RBAC, monitoring objects. */
    fullname: base,
    serviceAccount: name || (create ? base : ''),
    configMap: `${base}-config`,
    restoreRole: `${base}-restore`,
    /** The ValidatingAdmissionPolicy (and its binding) that limits which PVCs lifeboat may delete. */
    pvcDeletionPolicy: `${base}-pvc-deletion`,
    /** cert-manager objects, with `config.admission.certificate.mode: cert-manager`. */
    certSelfSigned: `${base}-selfsigned`,
    certCa: `${base}-webhook-ca`,
    certServing: `${base}-webhook`,
  };
}

export type InstallNames = ReturnType<typeof installNames>;

export function selectorLabels(input: NameInput): Record<string, string> {
  return { 'app.kubernetes.io/name': appName(input), 'app.kubernetes.io/instance': input.release };
}

export function commonLabels(input: NameInput): Record<string, string> {
  return { ...selectorLabels(input), 'app.kubernetes.io/version': VERSION, 'app.kubernetes.io/part-of': NAME };
}
