output "vpc_id" {
  description = "VPC id."
  value       = aws_vpc.this.id
}

output "vpc_cidr_block" {
  description = "VPC IPv4 CIDR."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnet ids in availability-zone order."
  value       = [for az in var.availability_zones : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  description = "Private subnet ids in availability-zone order."
  value       = [for az in var.availability_zones : aws_subnet.private[az].id]
}

output "nat_gateway_ids" {
  description = "NAT gateway id per availability zone."
  value       = { for az, n in aws_nat_gateway.this : az => n.id }
}

output "availability_zones" {
  description = "The availability zones the network spans."
  value       = var.availability_zones
}
