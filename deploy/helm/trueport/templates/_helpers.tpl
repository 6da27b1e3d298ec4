{{/* Names, labels and the pieces every TruePort pod shares. */}}

{{- define "trueport.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "trueport.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "trueport.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "trueport.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every resource. */}}
{{- define "trueport.labels" -}}
app.kubernetes.io/name: {{ include "trueport.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "trueport.commonLabels" . }}
{{- end -}}

{{/* The labels that are not selectors (pod templates add the selector labels to these). */}}
{{- define "trueport.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trueport
{{- end -}}

{{/* Selector labels of one component: serving, recorder or migrations. */}}
{{- define "trueport.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trueport.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "trueport.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "trueport.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "trueport.secretName" -}}
{{- default (include "trueport.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "trueport.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The configuration file: the user's config with what the chart's topology requires. */}}
{{- define "trueport.config" -}}
{{- $chart := dict "recorder" (dict "run" "external") "audit" (dict "spool_dir" "/var/lib/trueport/audit-spool" "archive_dir" "/var/lib/trueport/audit-archive") -}}
{{- toYaml (mustMergeOverwrite (deepCopy .Values.config) $chart) -}}
{{- end -}}

{{/* Annotations that roll the pods when the configuration or the chart's Secret changes. */}}
{{- define "trueport.checksums" -}}
checksum/config: {{ include "trueport.config" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ toJson .Values.secrets.values | sha256sum }}
{{- end }}
{{- end -}}

{{/* Pod-level settings every TruePort pod shares. */}}
{{- define "trueport.podSpec" -}}
serviceAccountName: {{ include "trueport.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/* Container settings every TruePort container shares (after name, args and resources). */}}
{{- define "trueport.container" -}}
image: {{ include "trueport.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
envFrom:
  - secretRef:
      name: {{ include "trueport.secretName" . }}
{{- end -}}

{{/* The volumes of pods that read the config and write to the data directory. */}}
{{- define "trueport.volumes" -}}
- name: config
  configMap:
    name: {{ include "trueport.fullname" . }}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.dataVolume.sizeLimit }}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end -}}

{{- define "trueport.volumeMounts" -}}
- name: config
  mountPath: /etc/trueport
  readOnly: true
- name: data
  mountPath: /var/lib/trueport
- name: tmp
  mountPath: /tmp
{{- end -}}
