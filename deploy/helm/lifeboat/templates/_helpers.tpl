{{/*
Names as Helm charts derive them (src/deploy/names.ts): the chart's objects are "<release>-lifeboat", or the release
name when it contains "lifeboat" (release "lifeboat" gives "lifeboat"); nameOverride replaces "lifeboat",
fullnameOverride the whole name. The names the binary looks for stay fixed, as lifeboat is one per cluster: the Lease
lifeboat-controller, the ConfigMap lifeboat-mass-deletion-guard and the webhook configurations "lifeboat".
*/}}
{{- define "lifeboat.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lifeboat.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "lifeboat.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The ServiceAccount lifeboat runs as: serviceAccount.name, else the full name (serviceAccount.create: false needs a name). */}}
{{- define "lifeboat.serviceAccountName" -}}
{{- if .Values.serviceAccount.name -}}
{{- .Values.serviceAccount.name -}}
{{- else if .Values.serviceAccount.create -}}
{{- include "lifeboat.fullname" . -}}
{{- else -}}
{{- fail "serviceAccount.name: required when serviceAccount.create is false (name the existing ServiceAccount lifeboat runs as)" -}}
{{- end -}}
{{- end -}}

{{- define "lifeboat.selectorLabels" -}}
app.kubernetes.io/name: {{ include "lifeboat.name" . | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
{{- end -}}

{{/* Labels of the pods: no chart version, so a chart bump alone does not roll them. */}}
{{- define "lifeboat.podLabels" -}}
{{ include "lifeboat.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: lifeboat
{{- end -}}

{{/* Helm's two labels are left out of `lifeboat manifests` (nothing but kubectl apply manages those objects). */}}
{{- define "lifeboat.labels" -}}
{{ include "lifeboat.podLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
{{- end -}}

{{/*
metadata: for every object. Arguments (a dict): ctx (the root context), name, cluster (true for cluster-scoped
objects), wave ("webhook" for the webhook configurations), labels and annotations to add.
*/}}
{{- define "lifeboat.metadata" -}}
{{- $ctx := .ctx -}}
{{- $labels := merge (deepCopy (.labels | default dict)) (include "lifeboat.labels" $ctx | fromYaml) -}}
{{- $annotations := deepCopy (.annotations | default dict) -}}
{{- if $ctx.Values.argocd.enabled -}}
{{- $wave := ternary $ctx.Values.argocd.webhookSyncWave $ctx.Values.argocd.syncWave (eq (.wave | default "") "webhook") -}}
{{- $_ := set $annotations "argocd.argoproj.io/sync-wave" (toString $wave) -}}
{{- end -}}
metadata:
  name: {{ .name }}
  {{- if not .cluster }}
  namespace: {{ $ctx.Release.Namespace }}
  {{- end }}
  labels:
    {{- toYaml $labels | nindent 4 }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
The lifeboat configuration as installed, as JSON: the values' config with namespace = the release namespace and,
unless given, admission.service.name = the full name (the Service this chart creates; lifeboat writes that name into
its serving certificate). The ConfigMap holds it as YAML; the Deployment's checksum/config is its sha256, so a config
change rolls the pods.
*/}}
{{- define "lifeboat.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- if and (hasKey $cfg "namespace") (ne (toString (get $cfg "namespace")) .Release.Namespace) -}}
{{- fail (printf "config.namespace is %q but lifeboat is installed into %q: lifeboat's namespace is where it runs; remove config.namespace or install into that namespace" (toString (get $cfg "namespace")) .Release.Namespace) -}}
{{- end -}}
{{- include "lifeboat.checkConfigKeys" . -}}
{{- if and (dig "admission" "enabled" true $cfg) (eq (dig "credentials" "mode" "copy" $cfg) "external-secret") (not (dig "catalog" "credentialsSecretRef" "" $cfg)) -}}
{{- fail "config.catalog.credentialsSecretRef is required in external-secret mode: name the Secret that holds the repository password (and S3 keys), or set config.admission.enabled: false" -}}
{{- end -}}
{{- $adm := get $cfg "admission" | default dict -}}
{{- if kindIs "map" $adm -}}
{{- $svc := get $adm "service" | default dict -}}
{{- if and (kindIs "map" $svc) (kindIs "invalid" (index $svc "name")) -}}
{{- $_ := set $svc "name" (include "lifeboat.fullname" .) -}}
{{- $_ := set $adm "service" $svc -}}
{{- $_ := set $cfg "admission" $adm -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cfg "apiVersion" "lifeboat.dev/v1alpha1" -}}
{{- $_ := set $cfg "kind" "LifeboatConfig" -}}
{{- $_ := set $cfg "namespace" .Release.Namespace -}}
{{- toJson $cfg -}}
{{- end -}}

{{/* config.namespaces.excluded's default (src/config/defaults.ts DEFAULT_EXCLUDED_NAMESPACES). */}}
{{- define "lifeboat.defaultExcludedNamespaces" -}}
- kube-system
- kube-public
- kube-node-lease
- longhorn-system
- argocd
- volsync-system
- snapshot-controller
- cert-manager
- external-secrets
- 1passwordconnect
- kyverno
- flux-system
{{- end -}}

{{/* Namespaces the webhooks never see: the configured exclusions plus kube-system and lifeboat's own, sorted. */}}
{{- define "lifeboat.webhookExcludedNamespaces" -}}
{{- $defaults := include "lifeboat.defaultExcludedNamespaces" . | fromYamlArray -}}
{{- $excluded := dig "namespaces" "excluded" $defaults (.Values.config | default dict) -}}
{{- concat (list "kube-system" .Release.Namespace) $excluded | uniq | sortAlpha | toJson -}}
{{- end -}}

{{/* One webhook entry, shared by the mutating and the validating configuration. Arguments: ctx, name, path. */}}
{{- define "lifeboat.webhook" -}}
{{- $ctx := .ctx -}}
{{- $adm := include "lifeboat.admission" $ctx | fromJson -}}
- name: {{ .name }}
  clientConfig:
    service:
      namespace: {{ $ctx.Release.Namespace }}
      name: {{ $adm.serviceName }}
      path: {{ .path }}
      port: {{ $adm.servicePort }}
  rules:
    - apiGroups: [""]
      apiVersions: [v1]
      resources: [persistentvolumeclaims]
      operations: [CREATE]
      scope: Namespaced
  matchPolicy: Equivalent
  objectSelector:
    matchExpressions:
      - key: {{ dig "keys" "backupLabel" "backup" ($ctx.Values.config | default dict) | quote }}
        operator: Exists
  namespaceSelector:
    matchExpressions:
      - key: kubernetes.io/metadata.name
        operator: NotIn
        values: {{ include "lifeboat.webhookExcludedNamespaces" $ctx }}
      - key: lifeboat.dev/break-glass
        operator: NotIn
        values: ["true"]
  sideEffects: None
  admissionReviewVersions: [v1]
  failurePolicy: {{ $adm.failurePolicy }}
  timeoutSeconds: {{ $adm.timeoutSeconds }}
{{- end -}}

{{/*
The admission settings of the lifeboat config, with the defaults of src/config/defaults.ts, as JSON (use with
fromJson). Whether the webhook runs, its failure policy, timeout, Service and certificate are configured once, in
config.admission, and read by both this chart and `lifeboat run`.
*/}}
{{- define "lifeboat.admission" -}}
{{- $cfg := .Values.config | default dict -}}
{{- toJson (dict
  "enabled" (dig "admission" "enabled" true $cfg)
  "failurePolicy" (dig "admission" "failurePolicy" "Fail" $cfg)
  "timeoutSeconds" (dig "admission" "timeoutSeconds" 5 $cfg)
  "serviceName" (dig "admission" "service" "name" (include "lifeboat.fullname" .) $cfg)
  "servicePort" (dig "admission" "service" "port" 443 $cfg)
  "certificateMode" (dig "admission" "certificate" "mode" "self-signed" $cfg)
  "secretName" (dig "admission" "certificate" "secretName" "lifeboat-webhook-tls" $cfg)) -}}
{{- end -}}
