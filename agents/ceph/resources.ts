/**
 * Which OpenStack resource a Ceph object stands for, from the names the
 * OpenStack services give them: Cinder's RBD driver names a volume's image
 * `volume-<volume id>`, Nova's RBD image backend an instance's root disk
 * `<instance id>_disk` (and `_disk.eph0`, `_disk.swap`, `_disk.config` for the
 * others), Glance's RBD store an image by its id; RGW with Keystone's
 * implicit tenants names a project's user `<project>$<project>`.
 */

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const VOLUME = new RegExp(`^volume-(${UUID})$`, 'i');
const ROOT_DISK = new RegExp(`^(${UUID})_disk$`, 'i');
const OTHER_DISK = new RegExp(`^(${UUID})_disk\\.(.+)$`, 'i');
const BARE = new RegExp(`^(${UUID})$`, 'i');

export type RbdImageKind = 'volume' | 'instance_disk' | 'glance_image' | 'image';

export interface RbdResource {
  readonly resourceId: string;
  readonly kind: RbdImageKind;
  /** what the metadata says beyond the resource id: the volume or instance it belongs to */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The resource of an RBD image: the volume id for a Cinder volume, the
 * instance id for a Nova root disk, the image id for a Glance image; any
 * other image (an instance's ephemeral, swap or config disk, a Cinder backup,
 * images no OpenStack service made) is `pool/image`, which is unique in the
 * cluster and says where it is.
 */
export function rbdResource(pool: string, image: string): RbdResource {
  let match = VOLUME.exec(image);
  if (match) return { resourceId: match[1], kind: 'volume', metadata: { volume_id: match[1] } };
  match = ROOT_DISK.exec(image);
  if (match) return { resourceId: match[1], kind: 'instance_disk', metadata: { instance_id: match[1] } };
  match = OTHER_DISK.exec(image);
  if (match) return { resourceId: `${pool}/${image}`, kind: 'instance_disk', metadata: { instance_id: match[1] } };
  match = BARE.exec(image);
  if (match) return { resourceId: match[1], kind: 'glance_image', metadata: { image_id: match[1] } };
  return { resourceId: `${pool}/${image}`, kind: 'image', metadata: {} };
}

/**
 * The project an RGW user stands for, as Ceilometer finds it: Ceilometer asks
 * for the user `<project>` (or `<project>$<project>` with implicit tenants).
 * A user in a tenant under another name is no project's: null.
 */
export function rgwProject(uid: string): string | null {
  const dollar = uid.indexOf('$');
  if (dollar < 0) return uid;
  const tenant = uid.slice(0, dollar);
  return uid.slice(dollar + 1) === tenant ? tenant : null;
}
