package io.guardian.pool.benchmarks.acquire;

import org.apache.commons.pool2.BaseKeyedPooledObjectFactory;
import org.apache.commons.pool2.PooledObject;
import org.apache.commons.pool2.impl.DefaultPooledObject;
import org.apache.commons.pool2.impl.GenericKeyedObjectPool;
import org.apache.commons.pool2.impl.GenericKeyedObjectPoolConfig;

/**
 * commons-pool2's {@link GenericKeyedObjectPool} configured the way a connection pool would use it
 * for speed: no validation on borrow or return, no JMX, LIFO, no evictor thread. Not API.
 */
final class CommonsKeyedPool implements KeyedPoolUnderTest {

    private final Integer[] keys;
    private final GenericKeyedObjectPool<Integer, FakeConnection> pool;

    CommonsKeyedPool(int keyCount, int maxPerKey, boolean reuseCapacityOnReturn) {
        keys = new Integer[keyCount];
        for (int i = 0; i < keyCount; i++) {
            // Boxed once here, so the loop does not allocate Integers above the small-value cache.
            keys[i] = Integer.valueOf(i);
        }
        GenericKeyedObjectPoolConfig<FakeConnection> config = new GenericKeyedObjectPoolConfig<>();
        config.setJmxEnabled(false);
        config.setLifo(true);
        config.setTestOnBorrow(false);
        config.setTestOnCreate(false);
        config.setTestOnReturn(false);
        config.setTestWhileIdle(false);
        config.setMaxTotalPerKey(maxPerKey);
        config.setMaxIdlePerKey(maxPerKey);
        config.setMaxTotal(keyCount * maxPerKey);
        config.setBlockWhenExhausted(true);
        config.setReuseCapacityOnReturn(reuseCapacityOnReturn);
        pool = new GenericKeyedObjectPool<>(new Factory(), config);
    }

    @Override
    public Object borrowAndRelease(int key) throws Exception {
        Integer k = keys[key];
        FakeConnection connection = pool.borrowObject(k);
        pool.returnObject(k, connection);
        return connection;
    }

    @Override
    public void warm(int key, int count) throws Exception {
        Integer k = keys[key];
        FakeConnection[] held = new FakeConnection[count];
        for (int i = 0; i < count; i++) {
            held[i] = pool.borrowObject(k);
        }
        for (FakeConnection connection : held) {
            pool.returnObject(k, connection);
        }
    }

    @Override
    public void close() {
        pool.close();
    }

    private static final class Factory extends BaseKeyedPooledObjectFactory<Integer, FakeConnection> {

        @Override
        public FakeConnection create(Integer key) {
            return new FakeConnection(key);
        }

        @Override
        public PooledObject<FakeConnection> wrap(FakeConnection connection) {
            return new DefaultPooledObject<>(connection);
        }

        @Override
        public void destroyObject(Integer key, PooledObject<FakeConnection> pooled) {
            pooled.getObject().close();
        }
    }
}
