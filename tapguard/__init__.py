"""tapguard: PCI DSS v4.0 compliance-as-code and failover drills for Terraform stacks on AWS."""

__version__ = "0.1.0"
