"""Dataset names for database URLs as users write them: no port, platform-specific paths.

Each URL goes through the same path a captured ``pd.read_sql``/``to_sql`` takes
(``connection_location`` → ``dataset_for``) and must give the OpenLineage naming spec's
namespace and name; before, a URL without a port lost its dataset from the run."""

from __future__ import annotations

import pytest

from nbgov.capture.adapters.pandas import connection_location
from nbgov.magics.naming import dataset_for


@pytest.mark.parametrize(("url", "table", "schema", "expected"), [
    ("postgresql://u@db/shop", "orders", None, ("postgres://db:5432", "shop.public.orders")),
    ("postgresql+psycopg://u:secret@db:6543/shop", "orders", "sales", ("postgres://db:6543", "shop.sales.orders")),
    ("postgresql://u@db/shop", None, None, ("postgres://db:5432", "shop")),
    ("mysql+pymysql://u@db/shop", "orders", None, ("mysql://db:3306", "shop.orders")),
    ("mysql://u@db/shop", "orders", "other", ("mysql://db:3306", "other.orders")),
    ("mssql+pyodbc://u@h/db", "t", "dbo", ("sqlserver://h:1433", "db.dbo.t")),
    ("oracle+oracledb://u@h/svc", "orders", "HR", ("oracle://h:1521", "svc.HR.orders")),
    ("trino://u@h:8080/hive/default", "t", None, ("trino://h:8080", "hive.default.t")),
    ("snowflake://u:p@myorg-acct/db/sch", "orders", None, ("snowflake://myorg-acct", "db.sch.orders")),
    ("bigquery://proj/ds", "orders", None, ("bigquery", "proj.ds.orders")),
    ("redshift+psycopg2://u@cl.abc.us-east-1.redshift.amazonaws.com/dev", "t", None,
     ("redshift://cl.us-east-1:5439", "dev.public.t")),
])
def test_database_urls_are_named_as_the_spec_says(url, table, schema, expected) -> None:
    pytest.importorskip("sqlalchemy")
    location = connection_location(url, table, schema)
    assert location is not None
    assert dataset_for(location, job_namespace="nb", notebook="x.ipynb") == expected
