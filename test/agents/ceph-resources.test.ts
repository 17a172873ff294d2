/**
 * Which OpenStack resource an RBD image or an RGW user stands for, from the
 * names Cinder, Nova, Glance and RGW's Keystone integration give them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rbdResource, rgwProject } from '../../agents/ceph/resources.js';
import { wantedMeters } from '../../agents/ceph/meters.js';

const ID = '6f1c1a8e-2d4b-4c8e-9a51-0c3f9b1d2e7a';

describe('Ceph resource ids', () => {
  it("maps Cinder's volume-<id> to the volume", () => {
    assert.deepEqual(rbdResource('volumes', `volume-${ID}`), { resourceId: ID, kind: 'volume', metadata: { volume_id: ID } });
  });

  it("maps Nova's <id>_disk to the instance, its other disks to pool/image with the instance in metadata", () => {
    assert.deepEqual(rbdResource('vms', `${ID}_disk`), { resourceId: ID, kind: 'instance_disk', metadata: { instance_id: ID } });
    assert.deepEqual(rbdResource('vms', `${ID}_disk.eph0`), { resourceId: `vms/${ID}_disk.eph0`, kind: 'instance_disk', metadata: { instance_id: ID } });
    assert.deepEqual(rbdResource('vms', `${ID}_disk.config`), { resourceId: `vms/${ID}_disk.config`, kind: 'instance_disk', metadata: { instance_id: ID } });
  });

  it("maps Glance's <id> to the image, anything else to pool/image", () => {
    assert.deepEqual(rbdResource('images', ID), { resourceId: ID, kind: 'glance_image', metadata: { image_id: ID } });
    for (const name of [`volume-${ID}.backup.base`, 'volume-not-a-uuid', `${ID}_diskette`, 'scratch']) {
      assert.deepEqual(rbdResource('backups', name), { resourceId: `backups/${name}`, kind: 'image', metadata: {} }, name);
    }
  });

  it('takes the project of an RGW user as Ceilometer asks for it, with or without implicit tenants', () => {
    assert.equal(rgwProject('0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'), '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e');
    assert.equal(rgwProject('0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e$0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e'), '0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e');
    assert.equal(rgwProject('tenant$someone-else'), null);
  });

  it('takes radosgw.usage, the pollster name, for radosgw.api.request, the meter it emits', () => {
    assert.deepEqual([...wantedMeters(new Set(['radosgw.usage'])).keys()], ['radosgw.api.request']);
    assert.deepEqual([...wantedMeters(new Set(['radosgw.api.request', 'cpu'])).keys()], ['radosgw.api.request']);
  });
});
