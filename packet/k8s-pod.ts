// Which Kubernetes pod a capture interface belongs to, from its name. A capture of pods names each
// interface "NAMESPACE/POD:IFACE" (the pcapng if_name: "default/web-7d9f-abcde:eth0"); this file
// is the one definition of that form, used to write it (packet/pcapng-merge.ts) and to read it
// (the k8s.pod and k8s.namespace display-filter fields, the Pod column, per-pod counters, the
// detail tree). Kubernetes names never contain "/" or ":" and Linux interface names never contain
// ":", so the form splits one way only; a name of any other shape ("eth0", "lo") has no pod.
//
// A name read from a capture is untrusted: only names Kubernetes itself would accept are taken as
// pods, so what reaches the panel as a pod is lowercase letters, digits, "-" and ".", and even
// then it is only ever shown as text.
//
// Runs in Node and in the browser.

/** A pod, by namespace and name. */
export interface PodRef {
  namespace: string;
  pod: string;
}

/** One interface of a pod. */
export interface PodInterface extends PodRef {
  iface: string;
}

/** A namespace is a DNS-1123 label: at most 63 of [a-z0-9-], starting and ending alphanumeric. */
const NAMESPACE = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** A pod name is a DNS-1123 subdomain: at most 253 of [a-z0-9.-], starting and ending alphanumeric. */
const POD = /^[a-z0-9](?:[-.a-z0-9]{0,251}[a-z0-9])?$/;
/** An interface name: visible characters, none of "/" or ":" (Linux allows neither), bounded. */
const IFACE = /^[\x21-\x2e\x30-\x39\x3b-\x7e]{1,64}$/;

/** Whether `name` is a namespace Kubernetes would accept (the one test of it, also for names read
 *  from a packet's process comment: packet/process-comment.ts). */
export function isNamespaceName(name: string): boolean {
  return NAMESPACE.test(name);
}

/** Whether `name` is a pod name Kubernetes would accept. */
export function isPodName(name: string): boolean {
  return POD.test(name);
}

/** "namespace/pod": how the Pod column and the per-pod counters name a pod. */
export function podLabel(p: PodRef): string {
  return `${p.namespace}/${p.pod}`;
}

/** The interface name a capture of pods gives `p`'s interface: "namespace/pod:iface". */
export function podInterfaceName(p: PodInterface): string {
  return `${podLabel(p)}:${p.iface}`;
}

/** The pod an interface name stands for, or undefined when the name is not of that form. */
export function parsePodInterfaceName(name: string | undefined): PodInterface | undefined {
  if (name === undefined) return undefined;
  const slash = name.indexOf('/');
  const colon = name.indexOf(':', slash + 1);
  if (slash < 0 || colon < 0) return undefined;
  const namespace = name.slice(0, slash);
  const pod = name.slice(slash + 1, colon);
  const iface = name.slice(colon + 1);
  if (!isNamespaceName(namespace) || !isPodName(pod) || !IFACE.test(iface)) return undefined;
  return { namespace, pod, iface };
}
