#!/usr/bin/env python3
"""Where one cold acquire's objects sit in a heap dump: the pool's or the chain floor's.

    jcmd <pid> GC.heap_dump /tmp/pool.hprof        # the JMH fork, during a measured iteration
    tools/chain-layout.py /tmp/pool.hprof           # Guardian Pool (PeerSlot)
    tools/chain-layout.py /tmp/floor.hprof 'io.guardian.pool.benchmarks.scale.PeerChainFloor$Slot'

Reads a HotSpot HPROF dump (HotSpot writes object addresses as object ids) and follows, for every
slot with an idle connection, the chain a reuse walks: PeerId (the map node's key), the map
table's entry, the map node, the slot, its idle array, the last idle connection, its transport
and the transport's mailbox. The floor's classes use the pool's field names (idle, idleCount,
transport, mailbox), so one script reads both. Prints the distance between consecutive objects,
each object's offset from its slot, and how many distinct cache lines, 4 KiB and 2 MiB pages one
step touches. A live dump (the default) runs a full collection first, as the benchmarks' setups
do, so what it shows is the compacted layout the measured loop sees.
"""
import collections
import statistics
import struct
import sys

SIZES = {2: 8, 4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    slot_class = sys.argv[2] if len(sys.argv) == 3 else 'io.guardian.pool.internal.pool.PeerSlot'
    heap = Heap(open(sys.argv[1], 'rb').read())
    slots = heap.instances_of(slot_class)
    if not slots:
        raise SystemExit('no instances of %s in the dump' % slot_class)
    slot_set = set(slots)
    node_of = {}
    for node in heap.instances_of('java.util.concurrent.ConcurrentHashMap$Node'):
        fields = heap.fields(node)
        if fields.get('val') in slot_set:
            node_of[fields['val']] = (node, fields['key'])
    entry_of = {}
    for array, (class_id, offset, length) in heap.object_arrays.items():
        if 'ConcurrentHashMap$Node' in heap.class_names.get(class_id, ''):
            for i in range(length):
                element = heap.id_at(offset + 8 * i)
                if element:
                    entry_of[element] = array + 16 + 4 * i  # compressed oops: 16-byte header, 4 per entry

    names = ['PeerId', 'table entry', 'map node', 'slot', 'idle[]', 'connection', 'transport', 'mailbox']
    chains = []
    for slot in slots:
        fields = heap.fields(slot)
        idle, count = fields['idle'], fields['idleCount']
        if not idle or count < 1:
            continue
        _, offset, _ = heap.object_arrays[idle]
        conn = heap.id_at(offset + 8 * (count - 1))
        transport = heap.fields(conn)['transport']
        mailbox = heap.fields(transport)['mailbox']
        node, key = node_of.get(slot, (0, 0))
        chains.append([key, entry_of.get(node, 0), node, slot, idle, conn, transport, mailbox])
    print('%s: %d slots, %d with an idle connection' % (slot_class, len(slots), len(chains)))

    print('\ndistance between consecutive objects of the chain (bytes):')
    for i in range(1, len(names)):
        d = sorted(abs(c[i] - c[i - 1]) for c in chains if c[i] and c[i - 1])
        if d:
            print('  %-11s -> %-11s median %12d   p10 %12d   p90 %12d'
                  % (names[i - 1], names[i], statistics.median(d), d[len(d) // 10], d[9 * len(d) // 10]))
    print('\noffset from the slot (bytes, median):')
    for i in (2, 4, 5, 6, 7):
        print('  %-11s %12d' % (names[i], statistics.median(c[i] - c[3] for c in chains if c[i])))
    for label, shift in (('cache lines', 6), ('4 KiB pages', 12), ('2 MiB pages', 21)):
        counts = [len({a >> shift for a in c if a}) for c in chains]
        print('distinct %s per step (all 8 objects): median %g, mean %.2f'
              % (label, statistics.median(counts), statistics.mean(counts)))
    pool_side = [len({a >> 12 for a in c[3:]}) for c in chains]
    span = [max(c[3:]) - min(c[3:]) for c in chains]
    print('slot..mailbox: 4 KiB pages median %g, mean %.2f; span median %d bytes'
          % (statistics.median(pool_side), statistics.mean(pool_side), statistics.median(span)))
    ranges = collections.Counter(address >> 20 for address in heap.addresses())
    print('heap: %d objects in %d distinct 1 MiB address ranges' % (sum(ranges.values()), len(ranges)))


class Heap:
    """The parts of an HPROF file this script needs: class names and layouts, instances, arrays."""

    def __init__(self, data):
        self.data = data
        p = data.index(b'\0') + 1
        if struct.unpack('>I', data[p:p + 4])[0] != 8:
            raise SystemExit('expected 8-byte ids (a 64-bit HotSpot dump)')
        p += 12
        strings, self.class_names, self.classes = {}, {}, {}
        self.instances, self.object_arrays, self.primitive_arrays = {}, {}, {}
        while p < len(data):
            tag = data[p]
            length = struct.unpack('>I', data[p + 5:p + 9])[0]
            body, p = p + 9, p + 9 + length
            if tag == 0x01:
                strings[self.id_at(body)] = data[body + 8:body + length].decode('utf-8', 'replace')
            elif tag == 0x02:
                self.class_names[self.id_at(body + 4)] = strings.get(self.id_at(body + 16), '?').replace('/', '.')
            elif tag in (0x0C, 0x1C):
                self._segment(body, body + length)
        self.strings = strings

    def id_at(self, offset):
        return struct.unpack('>Q', self.data[offset:offset + 8])[0]

    def _segment(self, q, stop):
        data = self.data
        skip = {0xFF: 8, 0x01: 16, 0x02: 16, 0x03: 16, 0x04: 12, 0x05: 8, 0x06: 12, 0x07: 8, 0x08: 16}
        while q < stop:
            sub = data[q]
            q += 1
            if sub in skip:
                q += skip[sub]
            elif sub == 0x20:  # class dump
                class_id, super_id = self.id_at(q), self.id_at(q + 12)
                q += 8 + 4 + 8 * 6
                q += 4  # instance size
                for entry in (3, 9):  # constant pool entries, then static fields
                    n = struct.unpack('>H', data[q:q + 2])[0]
                    q += 2
                    for _ in range(n):
                        q += entry + SIZES[data[q + entry - 1]]
                n = struct.unpack('>H', data[q:q + 2])[0]
                q += 2
                fields = []
                for _ in range(n):
                    fields.append((self.id_at(q), data[q + 8]))
                    q += 9
                self.classes[class_id] = (super_id, fields)
            elif sub == 0x21:  # instance
                object_id, class_id = self.id_at(q), self.id_at(q + 12)
                size = struct.unpack('>I', data[q + 20:q + 24])[0]
                self.instances[object_id] = (class_id, q + 24)
                q += 24 + size
            elif sub == 0x22:  # object array
                object_id = self.id_at(q)
                length = struct.unpack('>I', data[q + 12:q + 16])[0]
                self.object_arrays[object_id] = (self.id_at(q + 16), q + 24, length)
                q += 24 + 8 * length
            elif sub == 0x23:  # primitive array
                length = struct.unpack('>I', data[q + 12:q + 16])[0]
                self.primitive_arrays[self.id_at(q)] = length
                q += 17 + SIZES[data[q + 16]] * length
            else:
                raise SystemExit('unknown heap dump record 0x%x at byte %d' % (sub, q))

    def instances_of(self, name):
        wanted = {c for c, n in self.class_names.items() if n == name}
        return [o for o, (c, _) in self.instances.items() if c in wanted]

    def fields(self, object_id):
        class_id, offset = self.instances[object_id]
        values = {}
        while class_id in self.classes:
            super_id, fields = self.classes[class_id]
            for name_id, kind in fields:
                raw = self.data[offset:offset + SIZES[kind]]
                offset += SIZES[kind]
                name = self.strings.get(name_id, '?')
                if name in values:
                    continue
                values[name] = (struct.unpack('>Q', raw)[0] if kind == 2
                                else struct.unpack('>i', raw)[0] if kind == 10 else raw)
            class_id = super_id
        return values

    def addresses(self):
        yield from self.instances
        yield from self.object_arrays
        yield from self.primitive_arrays


if __name__ == '__main__':
    main()
